import type { ChangeFeedEntry, CiVersion, CurrentCi } from '../../../projections';
import {
  fromMongoChange,
  fromMongoCurrent,
  fromMongoVersion,
  lastWritePerKey,
  listChangesSpec,
  listCurrentCisSpec,
  toGuardedWrite,
  toMongoChange,
  toMongoCurrent,
  toMongoVersion,
  versionAtSpec,
  versionsAtSpec,
} from '../../../src/adapters/view-store/mongodb-mapping';
import type { ViewWrite } from '../../../src/ports/view-store';

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

describe('MongoDB documents', () => {
  it('keys each view naturally and stores queried times as dates', () => {
    expect(toMongoCurrent(current)).toMatchObject({ _id: 'web-01', recordedAt: new Date(current.recordedAt) });
    expect(toMongoVersion(version)).toMatchObject({
      _id: 'web-01#3',
      validFrom: new Date(version.validFrom),
      validTo: null,
    });
    expect(toMongoChange(change)).toMatchObject({ _id: 30, recordedAt: new Date(change.recordedAt) });
  });

  it('round-trips every view document exactly', () => {
    expect(fromMongoCurrent(toMongoCurrent(current))).toEqual(current);
    expect(fromMongoVersion(toMongoVersion(version))).toEqual(version);
    const closed = { ...version, validTo: '2026-02-01T00:00:00.000Z' };
    expect(fromMongoVersion(toMongoVersion(closed))).toEqual(closed);
    expect(fromMongoChange(toMongoChange(change))).toEqual(change);
  });
});

describe('MongoDB writes guarded by revision', () => {
  const replacement = (write: ViewWrite) => {
    const stage = toGuardedWrite(write).updateOne.update[0] as {
      $replaceWith: { $cond: { if: unknown; then: string; else: { $literal: unknown } } };
    };
    return stage.$replaceWith.$cond;
  };

  it('upserts by key and wraps the document in $literal so its own $ keys are never read as expressions', () => {
    const write = toGuardedWrite({ view: 'currentCis', doc: current });
    expect(write.collection).toBe('current_cis');
    expect(write.updateOne.filter).toEqual({ _id: 'web-01' });
    expect(write.updateOne.upsert).toBe(true);
    expect(replacement({ view: 'currentCis', doc: current }).else).toEqual({ $literal: toMongoCurrent(current) });
  });

  it('keeps a stored current CI with a newer revision', () => {
    expect(replacement({ view: 'currentCis', doc: current }).if).toEqual({ $gt: [{ $ifNull: ['$revision', 0] }, 3] });
  });

  it('never lets an open version overwrite a stored one, and always lets a closed one', () => {
    expect(replacement({ view: 'ciVersions', doc: version }).if).toEqual({ $ne: [{ $type: '$revision' }, 'missing'] });
    const closed = { ...version, validTo: '2026-02-01T00:00:00.000Z' };
    expect(replacement({ view: 'ciVersions', doc: closed }).if).toEqual({ $literal: false });
  });

  it('writes a change feed entry once', () => {
    expect(replacement({ view: 'changeFeed', doc: change }).if).toEqual({ $ne: [{ $type: '$revision' }, 'missing'] });
  });

  it('keeps only the last write per document, in order', () => {
    const closed = { ...version, validTo: '2026-02-01T00:00:00.000Z' };
    const next = { ...version, revision: 4, validFrom: closed.validTo };
    const writes: ViewWrite[] = [
      { view: 'currentCis', doc: current },
      { view: 'ciVersions', doc: version },
      { view: 'ciVersions', doc: closed },
      { view: 'ciVersions', doc: next },
      { view: 'currentCis', doc: { ...current, revision: 4 } },
    ];
    expect(lastWritePerKey(writes)).toEqual([writes[2], writes[3], writes[4]]);
  });
});

describe('MongoDB queries', () => {
  const list = { includeRetired: false, limit: 50 };

  it('lists current CIs in id order, leaving retired ones out unless asked', () => {
    expect(listCurrentCisSpec(list)).toEqual({
      filter: { 'document.status': { $ne: 'retired' } },
      sort: { _id: 1 },
      limit: 50,
    });
    expect(listCurrentCisSpec({ ...list, type: 'server', status: 'retired', afterCiId: 'b' }).filter).toEqual({
      _id: { $gt: 'b' },
      'document.type': 'server',
      'document.status': 'retired',
    });
  });

  it('finds one CI as of an instant through the as_of index, newest start first', () => {
    expect(versionAtSpec('web-01', 1000)).toEqual({
      filter: { ciId: 'web-01', validFrom: { $lte: new Date(1000) } },
      sort: { validFrom: -1 },
      limit: 1,
      hint: 'as_of',
    });
  });

  it('pages the inventory as of an instant in CI order through the as_of index', () => {
    const spec = versionsAtSpec(1000, { ...list, afterCiId: 'a' });
    expect(spec).toEqual({
      filter: {
        ciId: { $gt: 'a' },
        'document.status': { $ne: 'retired' },
        validFrom: { $lte: new Date(1000) },
        $or: [{ validTo: null }, { validTo: { $gt: new Date(1000) } }],
      },
      sort: { ciId: 1 },
      limit: 50,
      hint: 'as_of',
    });
  });

  it('filters the change feed on every field and pages by position both ways', () => {
    expect(
      listChangesSpec({
        beforePosition: 100,
        afterPosition: 10,
        since: 1,
        until: 2,
        ciId: 'a',
        ciType: 'server',
        eventType: 'CiRetired',
        actor: 'bob',
        changeRef: 'CHG-1',
        order: 'oldest-first',
        limit: 5,
      }),
    ).toEqual({
      filter: {
        _id: { $lt: 100, $gt: 10 },
        recordedAt: { $gte: new Date(1), $lte: new Date(2) },
        ciId: 'a',
        ciType: 'server',
        eventType: 'CiRetired',
        actor: 'bob',
        changeRef: 'CHG-1',
      },
      sort: { _id: 1 },
      limit: 5,
    });
    expect(listChangesSpec({ limit: 5 })).toEqual({ filter: {}, sort: { _id: -1 }, limit: 5 });
  });
});
