import {
  allProjections,
  changeFeedQueries,
  ciVersionQueries,
  currentCiQueries,
  graphQueries,
  type ChangeFeedEntry,
  type CiVersion,
  type CurrentCi,
  type GraphEdge,
} from '../../../projections';
import { MongoViewCollection, type FindSpec } from '../../../src/adapters/view-store/mongodb-mapping';
import type { DocQuery, ViewDoc, ViewReader } from '../../../src/ports/view-store';

const mappings = new Map(allProjections.map((view) => [view.name, new MongoViewCollection(view)]));
const mapping = (view: string) => mappings.get(view)!;

const document = {
  type: 'server',
  name: 'web-01',
  status: 'live' as const,
  attributes: { 'dotted.key': 1, $dollar: { nested: true }, list: [1, 'two'] },
  relationships: [],
};
const current: CurrentCi = {
  ciId: 'web-01',
  revision: 3,
  position: 30,
  recordedAt: '2026-01-02T03:04:05.006Z',
  document,
};
const version: CiVersion = {
  ciId: 'web-01',
  revision: 3,
  position: 30,
  eventType: 'CiChanged',
  previousStatus: 'live',
  validFrom: '2026-01-02T03:04:05.006Z',
  validTo: null,
  document,
};
const change: ChangeFeedEntry = {
  position: 30,
  ciId: 'web-01',
  ciType: 'server',
  revision: 3,
  onBehalfOf: null,
  eventType: 'CiChanged',
  recordedAt: '2026-01-02T03:04:05.006Z',
  actor: 'alice',
  reason: null,
  changeRef: 'CHG-7',
  source: 'api',
  correlationId: null,
  patch: [{ op: 'add', path: '/attributes/$dollar', value: { nested: true } }],
};
const edge: GraphEdge = {
  kind: 'edge',
  source: 'app-1',
  type: 'runs_on',
  target: 'web-01',
  revision: 2,
  validFrom: '2026-01-02T03:04:05.006Z',
  validTo: null,
};

/** The Mongo query each view query becomes: the view queries run against a reader that records them. */
async function specsOf(run: (reader: ViewReader) => Promise<unknown>): Promise<(FindSpec & { view: string })[]> {
  const specs: (FindSpec & { view: string })[] = [];
  const reader: ViewReader = {
    async find<Doc extends ViewDoc>(view: string, query: DocQuery): Promise<Doc[]> {
      specs.push({ view, ...mapping(view).findSpec(query) });
      return [];
    },
    async findJson(view: string, query: DocQuery): Promise<string[][]> {
      specs.push({ view, ...mapping(view).findSpec(query) });
      return [];
    },
    async findKeys(view: string, query: DocQuery): Promise<string[]> {
      specs.push({ view, ...mapping(view).findSpec(query) });
      return [];
    },
    count: () => Promise.reject(new Error('no counts here')),
  };
  await run(reader);
  return specs;
}

describe('MongoDB documents', () => {
  it('keys each kind naturally and stores the queried fields beside the document, times as dates', () => {
    expect(mapping('currentCis').toStored(current)).toMatchObject({
      _id: 'web-01',
      _k: 'web-01',
      _r: 3,
      f: { type: 'server', status: 'live' },
    });
    expect(mapping('ciVersions').toStored(version)).toMatchObject({
      _id: 'web-01#3',
      _from: new Date(version.validFrom),
      _to: null,
    });
    expect(mapping('changeFeed').toStored(change)).toMatchObject({
      _id: 30,
      _p: 'web-01',
      f: { recordedAt: new Date(change.recordedAt), changeRef: 'CHG-7' },
    });
    expect(mapping('graph').toStored(edge)).toMatchObject({
      _id: 'app-1 runs_on web-01#2',
      _k: 'app-1 runs_on web-01',
      _p: 'app-1',
      f: { target: 'web-01' },
    });
  });

  it('round-trips every view document exactly', () => {
    for (const [view, doc] of [
      ['currentCis', current],
      ['ciVersions', version],
      ['ciVersions', { ...version, validTo: '2026-02-01T00:00:00.000Z' }],
      ['changeFeed', change],
      ['graph', edge],
    ] as [string, ViewDoc][]) {
      expect(mapping(view).fromStored(mapping(view).toStored(doc))).toEqual(doc);
    }
  });

  it('declares the indexes each view needs, with built-ins first', () => {
    expect(mapping('ciVersions').indexes()).toEqual([
      { name: 'ciVersions_as_of', key: { _k: 1, _from: 1 } },
      { name: 'ci_versions_transitions', key: { 'f.transition': 1, _from: 1 } },
      { name: 'ci_versions_by_type_status', key: { 'f.type': 1, 'f.status': 1, _from: 1, _to: 1 } },
      { name: 'ciVersions_by_revision', key: { _k: 1, _r: -1 } },
    ]);
    // Declared order is the index's key order (toEqual would not see it): the report's leading fields first.
    expect(Object.keys(mapping('ciVersions').indexes()[2]!.key)).toEqual(['f.type', 'f.status', '_from', '_to']);
    expect(
      mapping('graph')
        .indexes()
        .map((index) => index.key),
    ).toEqual([
      { _k: 1, _from: 1 },
      { _p: 1, _to: 1 },
      { 'f.target': 1, _from: 1, _to: 1, _k: 1 },
      { _k: 1, _r: -1 },
    ]);
    expect(mapping('changeFeed').indexes()[0]).toEqual({ name: 'changeFeed_by_partition', key: { _p: 1, _id: 1 } });
  });
});

describe('MongoDB writes guarded by the view kind', () => {
  const cond = (view: string, doc: ViewDoc | GraphEdge) => {
    const stage = mapping(view).guardedWrite(doc).updateOne.update[0] as {
      $replaceWith: { $cond: { if: unknown; then: string; else: { $literal: unknown } } };
    };
    return stage.$replaceWith.$cond;
  };

  it('upserts by stored id and wraps the document in $literal so its own $ keys are never read as expressions', () => {
    const write = mapping('currentCis').guardedWrite(current);
    expect(write.updateOne.filter).toEqual({ _id: 'web-01' });
    expect(write.updateOne.upsert).toBe(true);
    expect(cond('currentCis', current).else).toEqual({ $literal: mapping('currentCis').toStored(current) });
  });

  it('keeps a stored current document with a newer revision', () => {
    expect(cond('currentCis', current).if).toEqual({ $gt: [{ $ifNull: ['$_r', 0] }, 3] });
  });

  it('never lets an open version overwrite a stored one, and always lets a closed one', () => {
    expect(cond('ciVersions', version).if).toEqual({ $ne: [{ $type: '$_r' }, 'missing'] });
    expect(cond('graph', { ...edge, validTo: '2026-02-01T00:00:00.000Z' }).if).toEqual({ $literal: false });
  });

  it('writes a log entry once', () => {
    expect(cond('changeFeed', change).if).toEqual({ $ne: [{ $type: '$_r' }, 'missing'] });
  });
});

describe('MongoDB state loads', () => {
  it('reads open versions of a partition, the newest version per CI, or the newest log entry', () => {
    expect(mapping('graph').statePipeline(['a', 'a'])).toEqual([{ $match: { _p: { $in: ['a'] }, _to: null } }]);
    expect(mapping('ciVersions').statePipeline(['a'])[1]).toEqual({ $sort: { _k: 1, _r: -1 } });
    expect(mapping('changeFeed').statePipeline(['a'])[1]).toEqual({ $sort: { _p: -1, _id: -1 } });
    expect(mapping('currentCis').statePipeline(['a'])).toEqual([{ $match: { _id: { $in: ['a'] } } }]);
  });
});

describe('MongoDB queries of each view', () => {
  const list = { includeRetired: false, limit: 50 };

  it('lists current CIs in id order, leaving retired ones out unless asked', async () => {
    const [spec] = await specsOf((r) => currentCiQueries.list(r, list));
    expect(spec).toEqual({
      view: 'currentCis',
      filter: { 'f.status': { $ne: 'retired' } },
      sort: { _id: 1 },
      limit: 50,
    });
    // A page answered from JSON texts asks the same of the store.
    expect(await specsOf((r) => currentCiQueries.listJson(r, list))).toEqual([spec]);
    const [filtered] = await specsOf((r) =>
      currentCiQueries.list(r, { ...list, type: 'server', status: 'retired', afterCiId: 'b' }),
    );
    expect(filtered!.filter).toEqual({
      _id: { $gt: 'b' },
      'f.type': { $eq: 'server' },
      'f.status': { $eq: 'retired' },
    });
  });

  it('finds one CI as of an instant through the as_of index, newest start first', async () => {
    const [spec] = await specsOf((r) => ciVersionQueries.at(r, 'web-01', 1000));
    expect(spec).toEqual({
      view: 'ciVersions',
      filter: {
        _k: { $eq: 'web-01' },
        _from: { $lte: new Date(1000) },
        $or: [{ _to: null }, { _to: { $gt: new Date(1000) } }],
      },
      sort: { _from: -1 },
      limit: 1,
      hint: 'ciVersions_as_of',
    });
  });

  it('pages the inventory as of an instant in CI order through the as_of index', async () => {
    const [spec] = await specsOf((r) => ciVersionQueries.listAt(r, 1000, { ...list, afterCiId: 'a' }));
    expect(spec).toEqual({
      view: 'ciVersions',
      filter: {
        _k: { $gt: 'a' },
        'f.status': { $ne: 'retired' },
        _from: { $lte: new Date(1000) },
        $or: [{ _to: null }, { _to: { $gt: new Date(1000) } }],
      },
      sort: { _k: 1 },
      limit: 50,
      hint: 'ciVersions_as_of',
    });
    expect(await specsOf((r) => ciVersionQueries.listAtJson(r, 1000, { ...list, afterCiId: 'a' }))).toEqual([spec]);
  });

  it('filters the change feed on every field and pages by position both ways', async () => {
    const [spec] = await specsOf((r) =>
      changeFeedQueries.list(r, {
        beforePosition: 100,
        afterPosition: 10,
        since: 1,
        until: 2,
        ciId: 'a',
        ciIds: ['a', 'b'],
        ciType: 'server',
        eventType: 'CiRetired',
        actor: 'bob',
        changeRef: 'CHG-1',
        order: 'oldest-first',
        limit: 5,
      }),
    );
    expect(spec).toEqual({
      view: 'changeFeed',
      filter: {
        _id: { $lt: 100, $gt: 10 },
        'f.recordedAt': { $gte: new Date(1), $lte: new Date(2) },
        _p: { $eq: 'a', $in: ['a', 'b'] },
        'f.ciType': { $eq: 'server' },
        'f.eventType': { $eq: 'CiRetired' },
        'f.actor': { $eq: 'bob' },
        'f.changeRef': { $eq: 'CHG-1' },
      },
      sort: { _id: 1 },
      limit: 5,
    });
    const [plain] = await specsOf((r) => changeFeedQueries.list(r, { limit: 5 }));
    expect(plain).toEqual({ view: 'changeFeed', filter: {}, sort: { _id: -1 }, limit: 5 });
  });

  it('walks the graph through its indexes: nodes by key, incoming edges by target', async () => {
    const specs = await specsOf(async (r) => {
      await graphQueries.nodesAt(r, ['a', 'b'], 1000);
      await graphQueries.incomingAt(r, ['a'], 1000);
    });
    expect(specs.map((s) => [s.filter['_k'] ?? s.filter['f.target'], s.hint])).toEqual([
      [{ $in: ['a', 'b'] }, 'graph_as_of'],
      [{ $in: ['a'] }, 'graph_incoming'],
    ]);
  });
});
