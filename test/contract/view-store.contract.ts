import {
  ciVersionQueries,
  currentCiQueries,
  graphProjection,
  graphQueries,
  type ChangeFeedEntry,
  type CiListQuery,
  type CiVersion,
  type CurrentCi,
  type GraphDoc,
  type GraphEdge,
  type GraphNode,
} from '../../projections';
import type { CiDocument, CiStatus } from '../../src/domain';
import type { CheckpointStore } from '../../src/ports/checkpoint-store';
import type { LeaseStore } from '../../src/ports/lease-store';
import type { DocQuery, ViewDoc, ViewStore } from '../../src/ports/view-store';
import { viewQueries } from '../support/view-queries';

export interface ViewStoreFixture {
  /** An empty store. */
  readonly store: ViewStore;
  cleanup(): Promise<void>;
}

const T = (day: number, hour = 0) => new Date(Date.UTC(2026, 0, day, hour)).toISOString();
const ms = (iso: string) => Date.parse(iso);

function doc(type: string, status: CiStatus = 'live', attributes: CiDocument['attributes'] = {}): CiDocument {
  return { type, name: `${type} item`, status, attributes, relationships: [] };
}

function current(ciId: string, revision: number, document: CiDocument, position = revision): CurrentCi {
  return { ciId, revision, position, recordedAt: T(revision), document };
}

function version(
  ciId: string,
  revision: number,
  from: string,
  to: string | null,
  document: CiDocument,
  previousStatus: CiStatus | null = revision === 1 ? null : 'live',
): CiVersion {
  return {
    ciId,
    revision,
    position: revision,
    eventType: revision === 1 ? 'CiRegistered' : 'CiChanged',
    previousStatus,
    validFrom: from,
    validTo: to,
    document,
  };
}

function change(position: number, ciId: string, overrides: Partial<ChangeFeedEntry> = {}): ChangeFeedEntry {
  return {
    position,
    ciId,
    ciType: 'server',
    revision: 1,
    eventType: 'CiChanged',
    recordedAt: T(position),
    actor: 'alice',
    onBehalfOf: null,
    reason: null,
    changeRef: null,
    source: 'api',
    correlationId: null,
    patch: [{ op: 'replace', path: '/name', value: `n${position}` }],
    ...overrides,
  };
}

const list = (overrides: Partial<CiListQuery> = {}): CiListQuery => ({
  includeRetired: false,
  limit: 100,
  ...overrides,
});

/**
 * The behaviour every ViewStore adapter must have, written once and run
 * against each adapter (SQLite always; MongoDB when MONGODB_URL is set).
 */
export function viewStoreContract(name: string, createFixture: () => Promise<ViewStoreFixture>): void {
  describe(`ViewStore contract: ${name}`, () => {
    let fixture: ViewStoreFixture;
    let store: ViewStore;
    let views: ReturnType<typeof viewQueries>;

    beforeEach(async () => {
      fixture = await createFixture();
      store = fixture.store;
      views = viewQueries(store);
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('checkpoints and resets', () => {
      it('starts with no checkpoints and stores them with a batch', async () => {
        expect(await store.readCheckpoints()).toEqual([]);
        await store.applyBatch({
          writes: [{ view: 'currentCis', doc: current('a', 1, doc('server')) }],
          checkpoints: [{ projection: 'currentCis', version: 3, position: 7 }],
        });
        expect(await store.readCheckpoints()).toEqual([{ projection: 'currentCis', version: 3, position: 7 }]);
        expect(await views.getCurrentCi('a')).toEqual(current('a', 1, doc('server')));
      });

      it('resets one view to an empty view at checkpoint 0, leaving the others alone', async () => {
        await store.applyBatch({
          writes: [
            { view: 'currentCis', doc: current('a', 1, doc('server')) },
            { view: 'changeFeed', doc: change(1, 'a') },
          ],
          checkpoints: [
            { projection: 'currentCis', version: 1, position: 1 },
            { projection: 'changeFeed', version: 1, position: 1 },
          ],
        });
        await store.resetView('currentCis', 2);
        expect(await views.getCurrentCi('a')).toBeUndefined();
        expect(await views.listChanges({ limit: 10 })).toHaveLength(1);
        const checkpoints = await store.readCheckpoints();
        expect(checkpoints).toEqual(
          expect.arrayContaining([
            { projection: 'currentCis', version: 2, position: 0 },
            { projection: 'changeFeed', version: 1, position: 1 },
          ]),
        );
      });
    });

    describe('writes', () => {
      it('upserts: a later write of the same key wins', async () => {
        await store.applyBatch({
          writes: [
            { view: 'currentCis', doc: current('a', 1, doc('server')) },
            { view: 'currentCis', doc: current('a', 2, doc('vm')) },
          ],
          checkpoints: [],
        });
        await store.applyBatch({
          writes: [{ view: 'currentCis', doc: current('a', 3, doc('vm', 'maintenance')) }],
          checkpoints: [],
        });
        expect(await views.getCurrentCi('a')).toEqual(current('a', 3, doc('vm', 'maintenance')));
      });

      it('ignores replayed older writes: a newer current CI, a closed version and a feed entry are kept', async () => {
        const newer = [
          { view: 'currentCis', doc: current('a', 2, doc('vm')) },
          { view: 'ciVersions', doc: version('a', 1, T(1), T(2), doc('server')) },
          { view: 'ciVersions', doc: version('a', 2, T(2), null, doc('vm')) },
          { view: 'changeFeed', doc: change(1, 'a', { actor: 'first' }) },
        ] as const;
        await store.applyBatch({ writes: newer, checkpoints: [] });
        // A replay after a crash between writes and checkpoint (stores without transactions).
        await store.applyBatch({
          writes: [
            { view: 'currentCis', doc: current('a', 1, doc('server')) },
            { view: 'ciVersions', doc: version('a', 1, T(1), null, doc('server')) },
            { view: 'changeFeed', doc: change(1, 'a', { actor: 'replayed' }) },
          ],
          checkpoints: [],
        });
        expect(await views.getCurrentCi('a')).toEqual(current('a', 2, doc('vm')));
        expect(await views.getCiVersion('a', 1)).toEqual(version('a', 1, T(1), T(2), doc('server')));
        expect((await views.listChanges({ ciId: 'a', limit: 10 }))[0]?.actor).toBe('first');
      });

      it('keeps a CI found by its indexed fields as they change, or do not, over newer and replayed writes', async () => {
        const server = (revision: number, attributes: CiDocument['attributes']) =>
          current('a', revision, doc('server', 'live', { warrantyEnd: '2027-01-10', ...attributes }));
        const write = (written: CurrentCi) =>
          store.applyBatch({ writes: [{ view: 'currentCis', doc: written }], checkpoints: [] });
        const found = async () => ({
          servers: (await views.listCurrentCis(list({ type: 'server' }))).map((c) => `${c.ciId}@${c.revision}`),
          vms: (await views.listCurrentCis(list({ type: 'vm' }))).map((c) => `${c.ciId}@${c.revision}`),
          ending: (
            await currentCiQueries.endingBetween(store, 'warrantyEnd', { from: '2027-01-01', to: '2027-12-31' }, 10)
          ).map((c) => `${c.ciId}@${c.revision}`),
        });
        await write(server(1, { kernel: '6.1' }));
        // A new document, every indexed field as it was.
        await write(server(2, { kernel: '6.2' }));
        expect(await views.getCurrentCi('a')).toEqual(server(2, { kernel: '6.2' }));
        expect(await found()).toEqual({ servers: ['a@2'], vms: [], ending: ['a@2'] });
        // The type and the end date change: the CI moves in both indexes.
        const vm = current('a', 3, doc('vm', 'live', { warrantyEnd: '2027-06-30' }));
        await write(vm);
        expect(await found()).toEqual({ servers: [], vms: ['a@3'], ending: ['a@3'] });
        expect(
          await currentCiQueries.endingBetween(store, 'warrantyEnd', { from: '2027-01-01', to: '2027-02-01' }, 10),
        ).toEqual([]);
        // Replays of older revisions (each a batch: a batch holds a page in log order), with the stored
        // fields and without them, leave the newest.
        const vm4 = current('a', 4, doc('vm', 'live', { warrantyEnd: '2027-06-30', kernel: '6.3' }));
        await write(vm4);
        await write(vm);
        await write(server(2, { kernel: '6.2' }));
        expect(await views.getCurrentCi('a')).toEqual(vm4);
        expect(await found()).toEqual({ servers: [], vms: ['a@4'], ending: ['a@4'] });
      });

      it('round-trips attribute keys that document stores treat specially', async () => {
        const odd = doc('server', 'live', { 'dotted.key': 1, $dollar: { $nested: [true] }, '': 'empty', 'ü ✓': null });
        await store.applyBatch({
          writes: [
            { view: 'currentCis', doc: current('odd', 1, odd) },
            { view: 'ciVersions', doc: version('odd', 1, T(1), null, odd) },
            {
              view: 'changeFeed',
              doc: change(9, 'odd', {
                patch: [{ op: 'add', path: '/attributes/$dollar', value: { $nested: [true] } }],
              }),
            },
          ],
          checkpoints: [],
        });
        expect(await views.getCurrentCi('odd')).toEqual(current('odd', 1, odd));
        expect(await views.getCiVersionAt('odd', ms(T(1)))).toEqual(version('odd', 1, T(1), null, odd));
        expect((await views.listChanges({ ciId: 'odd', limit: 1 }))[0]?.patch).toEqual([
          { op: 'add', path: '/attributes/$dollar', value: { $nested: [true] } },
        ]);
      });

      it('loads each CI state by the view kind: the current document, the open version, the newest entry', async () => {
        await store.applyBatch({
          writes: [
            { view: 'currentCis', doc: current('a', 2, doc('server')) },
            { view: 'ciVersions', doc: version('a', 1, T(1), T(2), doc('server')) },
            { view: 'ciVersions', doc: version('a', 2, T(2), null, doc('server', 'maintenance')) },
            { view: 'changeFeed', doc: change(1, 'a', { revision: 1 }) },
            { view: 'changeFeed', doc: change(2, 'a', { revision: 2 }) },
            { view: 'changeFeed', doc: change(3, 'b') },
          ],
          checkpoints: [],
        });
        expect((await store.loadState('currentCis', ['a', 'missing'])).get('a')?.map((d) => d.revision)).toEqual([2]);
        expect([...(await store.loadState('currentCis', ['a', 'missing'])).keys()]).toEqual(['a']);
        expect((await store.loadState('ciVersions', ['a'])).get('a')).toEqual([
          version('a', 2, T(2), null, doc('server', 'maintenance')),
        ]);
        const feed = await store.loadState('changeFeed', ['a', 'b']);
        expect(feed.get('a')).toEqual([change(2, 'a', { revision: 2 })]);
        expect(feed.get('b')).toEqual([change(3, 'b')]);
      });
    });

    describe('current CIs', () => {
      beforeEach(async () => {
        await store.applyBatch({
          writes: [
            { view: 'currentCis', doc: current('c', 1, doc('vm')) },
            { view: 'currentCis', doc: current('a', 1, doc('server')) },
            { view: 'currentCis', doc: current('b', 1, doc('server', 'retired')) },
            { view: 'currentCis', doc: current('d', 1, doc('server', 'maintenance')) },
          ],
          checkpoints: [],
        });
      });

      it('lists in id order, leaving retired CIs out unless asked', async () => {
        expect((await views.listCurrentCis(list())).map((c) => c.ciId)).toEqual(['a', 'c', 'd']);
        expect((await views.listCurrentCis(list({ includeRetired: true }))).map((c) => c.ciId)).toEqual([
          'a',
          'b',
          'c',
          'd',
        ]);
        expect((await views.listCurrentCis(list({ status: 'retired' }))).map((c) => c.ciId)).toEqual(['b']);
      });

      it('filters by type and status', async () => {
        expect((await views.listCurrentCis(list({ type: 'server' }))).map((c) => c.ciId)).toEqual(['a', 'd']);
        expect(
          (await views.listCurrentCis(list({ type: 'server', status: 'maintenance' }))).map((c) => c.ciId),
        ).toEqual(['d']);
      });

      it('counts by type and status, and finds end dates in a window by an index', async () => {
        const counts = (await store.count('currentCis', { groupBy: ['type', 'status'] }))
          .map((row) => `${row.group.join('/')}=${row.count}`)
          .sort();
        expect(counts).toEqual(['server/live=1', 'server/maintenance=1', 'server/retired=1', 'vm/live=1']);
        await store.applyBatch({
          writes: [
            { view: 'currentCis', doc: current('w1', 1, doc('server', 'live', { warrantyEnd: '2027-01-10' })) },
            { view: 'currentCis', doc: current('w2', 1, doc('server', 'live', { warrantyEnd: '2027-03-01' })) },
            { view: 'currentCis', doc: current('w3', 1, doc('server', 'live', { warrantyEnd: 'next year' })) },
          ],
          checkpoints: [],
        });
        const window = { from: '2027-01-01', to: '2027-04-01' };
        const ending = await currentCiQueries.endingBetween(store, 'warrantyEnd', window, 10);
        expect(ending.map((ci) => ci.ciId)).toEqual(['w1', 'w2']);
        const next = await currentCiQueries.endingBetween(
          store,
          'warrantyEnd',
          { ...window, after: { date: '2027-01-10', ciId: 'w1' } },
          10,
        );
        expect(next.map((ci) => ci.ciId)).toEqual(['w2']);
      });

      it('finds several by id at once (the types of relationship targets), missing ones left out', async () => {
        const found = await currentCiQueries.getMany(store, ['d', 'a', 'nobody', 'a']);
        expect(found.map((c) => [c.ciId, c.document.type]).sort()).toEqual([
          ['a', 'server'],
          ['d', 'server'],
        ]);
      });

      it('pages with a limit and the last id seen', async () => {
        const first = await views.listCurrentCis(list({ limit: 2, includeRetired: true }));
        expect(first.map((c) => c.ciId)).toEqual(['a', 'b']);
        const next = await views.listCurrentCis(list({ limit: 2, includeRetired: true, afterCiId: 'b' }));
        expect(next.map((c) => c.ciId)).toEqual(['c', 'd']);
      });

      it('answers members as JSON texts, written as JSON.stringify writes them, without parsing the documents', async () => {
        const awkward = doc('server', 'live', {
          text: 'é "quoted" \\ back\nslash \u2028 \ud83d\ude00 \u0001',
          numbers: [1.5, -3, 0, 1e21, 2 ** 53, 1e-7],
          nested: [{ a: [1, { b: null }] }, []],
          $dollar: true,
          'dot.key': {},
        });
        await store.applyBatch({ writes: [{ view: 'currentCis', doc: current('e', 4, awkward) }], checkpoints: [] });
        const texts = await store.findJson(
          'currentCis',
          { where: [{ field: 'key', op: '>=', value: 'd' }], orderBy: [{ field: 'key', direction: 'asc' }], limit: 5 },
          ['ciId', 'revision', 'recordedAt', 'document', 'absent'],
        );
        expect(texts).toEqual([
          ['"d"', '1', JSON.stringify(T(1)), JSON.stringify(doc('server', 'maintenance')), 'null'],
          ['"e"', '4', JSON.stringify(T(4)), JSON.stringify(awkward), 'null'],
        ]);
        expect(await currentCiQueries.getJson(store, 'e')).toEqual(texts[1]!.slice(0, 4));
        expect(await currentCiQueries.getJson(store, 'nobody')).toBeUndefined();
        // The CI list's queries ask the same of the store as find does.
        const listed = await currentCiQueries.listJson(store, list({ type: 'server', includeRetired: true }));
        expect(listed.map(([ciId, revision]) => `${JSON.parse(ciId)}@${revision}`)).toEqual([
          'a@1',
          'b@1',
          'd@1',
          'e@4',
        ]);
      });
    });

    describe('CI versions (point in time)', () => {
      beforeEach(async () => {
        await store.applyBatch({
          writes: [
            { view: 'ciVersions', doc: version('a', 1, T(1), T(3), doc('server', 'live', { v: 1 })) },
            { view: 'ciVersions', doc: version('a', 2, T(3), T(5), doc('server', 'live', { v: 2 })) },
            { view: 'ciVersions', doc: version('a', 3, T(5), null, doc('server', 'retired', { v: 3 })) },
            { view: 'ciVersions', doc: version('b', 1, T(2), null, doc('vm')) },
            { view: 'ciVersions', doc: version('c', 1, T(4), null, doc('server')) },
          ],
          checkpoints: [],
        });
      });

      it('finds the version valid at an instant: from inclusive, to exclusive', async () => {
        expect(await views.getCiVersionAt('a', ms(T(1)) - 1)).toBeUndefined();
        expect((await views.getCiVersionAt('a', ms(T(1))))?.revision).toBe(1);
        expect((await views.getCiVersionAt('a', ms(T(3)) - 1))?.revision).toBe(1);
        expect((await views.getCiVersionAt('a', ms(T(3))))?.revision).toBe(2);
        expect((await views.getCiVersionAt('a', ms(T(9))))?.revision).toBe(3);
        expect(await views.getCiVersionAt('nobody', ms(T(9)))).toBeUndefined();
      });

      it('answers as many documents as the limit allows, the first in the order asked', async () => {
        // One-row probes are the hottest reads and SQLite writes their limit differently from others.
        const revisions = async (limit: number) =>
          (
            await store.find<ViewDoc>('ciVersions', {
              where: [{ field: 'key', op: '=', value: 'a' }],
              orderBy: [{ field: 'validFrom', direction: 'desc' }],
              limit,
            })
          ).map((found) => found.revision);
        expect(await revisions(1)).toEqual([3]);
        expect(await revisions(2)).toEqual([3, 2]);
        expect(await revisions(10)).toEqual([3, 2, 1]);
      });

      it('answers versions as JSON texts, validity included, and the inventory as of an instant so', async () => {
        const texts = await store.findJson(
          'ciVersions',
          {
            where: [{ field: 'key', op: '=', value: 'a' }],
            orderBy: [{ field: 'validFrom', direction: 'asc' }],
            limit: 5,
          },
          ['revision', 'validFrom', 'validTo', 'document'],
        );
        expect(texts).toEqual([
          ['1', JSON.stringify(T(1)), JSON.stringify(T(3)), JSON.stringify(doc('server', 'live', { v: 1 }))],
          ['2', JSON.stringify(T(3)), JSON.stringify(T(5)), JSON.stringify(doc('server', 'live', { v: 2 }))],
          ['3', JSON.stringify(T(5)), 'null', JSON.stringify(doc('server', 'retired', { v: 3 }))],
        ]);
        const at = async (instant: string, query: Partial<CiListQuery> = {}) =>
          (await ciVersionQueries.listAtJson(store, ms(instant), list(query))).map(
            ([ciId, revision, validFrom]) => `${JSON.parse(ciId)}@${revision} ${JSON.parse(validFrom)}`,
          );
        expect(await at(T(4))).toEqual([`a@2 ${T(3)}`, `b@1 ${T(2)}`, `c@1 ${T(4)}`]);
        expect(await at(T(4), { type: 'server', afterCiId: 'a' })).toEqual([`c@1 ${T(4)}`]);
        // One CI as of an instant, and at a revision, as GET /cis/{id} answers them.
        const v2 = ['"a"', '2', JSON.stringify(T(3)), JSON.stringify(doc('server', 'live', { v: 2 }))];
        expect(await ciVersionQueries.atJson(store, 'a', ms(T(4)))).toEqual(v2);
        expect(await ciVersionQueries.atJson(store, 'a', ms(T(1)) - 1)).toBeUndefined();
        expect(await ciVersionQueries.byRevisionJson(store, 'a', 2)).toEqual(v2);
        expect(await ciVersionQueries.byRevisionJson(store, 'a', 4)).toBeUndefined();
      });

      it('returns the whole version document, validity included', async () => {
        expect(await views.getCiVersionAt('a', ms(T(4)))).toEqual(
          version('a', 2, T(3), T(5), doc('server', 'live', { v: 2 })),
        );
        expect(await views.getCiVersion('a', 3)).toEqual(
          version('a', 3, T(5), null, doc('server', 'retired', { v: 3 })),
        );
        expect(await views.getCiVersion('a', 4)).toBeUndefined();
      });

      it('counts the estate by type and status as of an instant, in the store', async () => {
        const counts = async (at: string) =>
          (await store.count('ciVersions', { asOf: ms(at), groupBy: ['type', 'status'] }))
            .map((row) => `${row.group.join('/')}=${row.count}`)
            .sort();
        expect(await counts(T(1))).toEqual(['server/live=1']);
        expect(await counts(T(4))).toEqual(['server/live=2', 'vm/live=1']);
        expect(await counts(T(6))).toEqual(['server/live=1', 'server/retired=1', 'vm/live=1']);
      });

      it('finds lifecycle transitions recorded in a window', async () => {
        const found = await ciVersionQueries.transitions(store, { since: ms(T(1)), until: ms(T(9)), limit: 10 });
        expect(found.map((v) => [v.ciId, v.revision, v.previousStatus, v.document.status])).toEqual([
          ['a', 3, 'live', 'retired'],
        ]);
        expect(await ciVersionQueries.transitions(store, { since: ms(T(1)), until: ms(T(4)), limit: 10 })).toEqual([]);
      });

      it('finds the version as of a log position (a baseline taken at a position)', async () => {
        const atPosition = async (ciId: string, position: number) =>
          (await ciVersionQueries.atPosition(store, ciId, position))?.revision;
        expect(await atPosition('a', 0)).toBeUndefined();
        expect(await atPosition('a', 1)).toBe(1);
        expect(await atPosition('a', 2)).toBe(2);
        expect(await atPosition('a', 99)).toBe(3);
        expect(await atPosition('b', 99)).toBe(1);
        expect(await atPosition('nobody', 99)).toBeUndefined();
      });

      it('lists the whole inventory as of an instant, with filters and pages', async () => {
        const at = async (instant: string, query: Partial<CiListQuery> = {}) =>
          (await views.listCiVersionsAt(ms(instant), list(query))).map((v) => `${v.ciId}@${v.revision}`);
        expect(await at(T(1))).toEqual(['a@1']);
        expect(await at(T(4))).toEqual(['a@2', 'b@1', 'c@1']);
        expect(await at(T(6))).toEqual(['b@1', 'c@1']);
        expect(await at(T(6), { includeRetired: true })).toEqual(['a@3', 'b@1', 'c@1']);
        expect(await at(T(4), { type: 'server' })).toEqual(['a@2', 'c@1']);
        expect(await at(T(4), { limit: 2 })).toEqual(['a@2', 'b@1']);
        expect(await at(T(4), { afterCiId: 'b' })).toEqual(['c@1']);
      });

      it('lists as of an instant past deep histories: key order, page size, filters, same-millisecond versions', async () => {
        // d changes every step from T(1) on; its versions 40 and 41 were recorded in the same millisecond.
        const writes = [];
        for (let revision = 1; revision <= 60; revision++) {
          const from = ms(T(1)) + (revision <= 40 ? revision : revision - 1) * 1000;
          const to = revision === 60 ? null : ms(T(1)) + (revision < 40 ? revision + 1 : revision) * 1000;
          const type = revision % 2 === 0 ? 'server' : 'vm';
          writes.push({
            view: 'ciVersions' as const,
            doc: version(
              'd',
              revision,
              new Date(from).toISOString(),
              to === null ? null : new Date(to).toISOString(),
              doc(type),
            ),
          });
        }
        await store.applyBatch({ writes, checkpoints: [] });
        const at = async (instant: number, query: Partial<CiListQuery> = {}) =>
          (await views.listCiVersionsAt(instant, list(query))).map((v) => `${v.ciId}@${v.revision}`);
        const second = (n: number) => ms(T(1)) + n * 1000;
        // b and c are not yet registered (T(2), T(4)): the scan passes over them.
        expect(await at(second(10) + 500)).toEqual(['a@1', 'd@10']);
        expect(await at(second(40))).toEqual(['a@1', 'd@41']); // 40's window is empty
        expect(await at(second(40), { type: 'vm' })).toEqual(['d@41']);
        expect(await at(second(40), { type: 'server' })).toEqual(['a@1']);
        expect(await at(second(10), { limit: 1 })).toEqual(['a@1']);
        expect(await at(second(10), { afterCiId: 'a', limit: 1 })).toEqual(['d@10']);
        expect(await at(ms(T(4)), { afterCiId: 'a' })).toEqual(['b@1', 'c@1', 'd@60']);
        expect(await at(ms(T(9)), { includeRetired: true })).toEqual(['a@3', 'b@1', 'c@1', 'd@60']);
      });
    });

    describe('change feed', () => {
      beforeEach(async () => {
        await store.applyBatch({
          writes: [
            change(1, 'a', { eventType: 'CiRegistered', changeRef: 'CHG-1' }),
            change(2, 'b', { ciType: 'vm', actor: 'bob' }),
            change(3, 'a', { revision: 2, changeRef: 'CHG-2' }),
            change(4, 'c', { eventType: 'CiRetired', changeRef: 'CHG-2' }),
          ].map((entry) => ({ view: 'changeFeed' as const, doc: entry })),
          checkpoints: [],
        });
      });

      const positions = (entries: ChangeFeedEntry[]) => entries.map((e) => e.position);

      it('lists newest first, every field kept', async () => {
        const entries = await views.listChanges({ limit: 10 });
        expect(positions(entries)).toEqual([4, 3, 2, 1]);
        expect(entries[2]).toEqual(change(2, 'b', { ciType: 'vm', actor: 'bob' }));
      });

      it('filters by time window, CI, CI type, event type, actor and change ref', async () => {
        expect(positions(await views.listChanges({ limit: 10, since: ms(T(2)), until: ms(T(3)) }))).toEqual([3, 2]);
        expect(positions(await views.listChanges({ limit: 10, ciId: 'a' }))).toEqual([3, 1]);
        expect(positions(await views.listChanges({ limit: 10, ciType: 'vm' }))).toEqual([2]);
        expect(positions(await views.listChanges({ limit: 10, eventType: 'CiRetired' }))).toEqual([4]);
        expect(positions(await views.listChanges({ limit: 10, actor: 'bob' }))).toEqual([2]);
        expect(positions(await views.listChanges({ limit: 10, changeRef: 'CHG-2' }))).toEqual([4, 3]);
      });

      it('lists oldest first after a position, for streams and replays', async () => {
        expect(positions(await views.listChanges({ limit: 10, order: 'oldest-first' }))).toEqual([1, 2, 3, 4]);
        expect(
          positions(await views.listChanges({ limit: 2, order: 'oldest-first', afterPosition: 1, ciId: 'a' })),
        ).toEqual([3]);
        expect(positions(await views.listChanges({ limit: 2, order: 'oldest-first', afterPosition: 1 }))).toEqual([
          2, 3,
        ]);
      });

      it('pages backwards from a position', async () => {
        expect(positions(await views.listChanges({ limit: 2 }))).toEqual([4, 3]);
        expect(positions(await views.listChanges({ limit: 2, beforePosition: 3 }))).toEqual([2, 1]);
      });

      it('answers the keys alone of what a query finds, integers as integers, in its order', async () => {
        const query: DocQuery = {
          where: [{ field: 'changeRef', op: '=', value: 'CHG-2' }],
          orderBy: [{ field: 'key', direction: 'desc' }],
          limit: 10,
        };
        expect(await store.findKeys('changeFeed', query)).toEqual([4, 3]);
        expect(await store.findKeys('changeFeed', { ...query, limit: 1 })).toEqual([4]);
      });
    });

    describe('relationship graph (a temporal view keyed by CI and by edge endpoints)', () => {
      const node = (
        ciId: string,
        revision: number,
        from: string,
        to: string | null,
        targets: string[][],
        status: CiStatus = 'live',
      ): GraphNode => ({
        kind: 'ci',
        ciId,
        ciType: 'app',
        status,
        relationships: targets.map(([type, target]) => ({ type: type!, target: target! })),
        revision,
        validFrom: from,
        validTo: to,
      });
      const edge = (
        source: string,
        type: string,
        target: string,
        revision: number,
        from: string,
        to: string | null,
      ): GraphEdge => ({
        kind: 'edge',
        source,
        type,
        target,
        revision,
        validFrom: from,
        validTo: to,
      });

      beforeEach(async () => {
        // a runs_on b from day 1; on day 3 a also uses c; on day 5 a stops running on b.
        await store.applyBatch({
          writes: [
            { view: 'graph', doc: node('a', 1, T(1), T(3), [['runs_on', 'b']]) },
            {
              view: 'graph',
              doc: node('a', 2, T(3), T(5), [
                ['runs_on', 'b'],
                ['uses', 'c'],
              ]),
            },
            { view: 'graph', doc: node('a', 3, T(5), null, [['uses', 'c']]) },
            { view: 'graph', doc: edge('a', 'runs_on', 'b', 1, T(1), T(5)) },
            { view: 'graph', doc: edge('a', 'uses', 'c', 2, T(3), null) },
            { view: 'graph', doc: node('b', 1, T(1), null, []) },
            { view: 'graph', doc: node('c', 1, T(2), null, [], 'retired') },
          ],
          checkpoints: [],
        });
      });

      it('finds the nodes that existed at an instant, with their outgoing relationships', async () => {
        const at2 = await graphQueries.nodesAt(store, ['a', 'b', 'c', 'nowhere'], ms(T(2)));
        expect([...at2.keys()].sort()).toEqual(['a', 'b', 'c']);
        expect(at2.get('a')?.relationships).toEqual([{ type: 'runs_on', target: 'b' }]);
        expect((await graphQueries.nodesAt(store, ['a'], ms(T(4)))).get('a')?.revision).toBe(2);
        expect((await graphQueries.nodesAt(store, ['c'], ms(T(1)))).size).toBe(0);
      });

      it('finds incoming edges as they stood at an instant, from inclusive, to exclusive', async () => {
        const sources = async (ids: string[], at: string) =>
          (await graphQueries.incomingAt(store, ids, ms(at))).map((e) => `${e.source} ${e.type} ${e.target}`).sort();
        expect(await sources(['b'], T(2))).toEqual(['a runs_on b']);
        expect(await sources(['b'], T(5))).toEqual([]);
        expect(await sources(['c'], T(2))).toEqual([]);
        expect(await sources(['c'], T(3))).toEqual(['a uses c']);
        expect(await sources(['b', 'c'], T(4))).toEqual(['a runs_on b', 'a uses c']);
      });

      it('answers the keys alone of what a query finds, in its order: the keys find would give', async () => {
        const queries: DocQuery[] = [
          // The edges into CIs as of an instant, by the index that holds their keys.
          {
            where: [{ field: 'target', op: 'in', values: ['b', 'c'] }],
            asOf: ms(T(4)),
            limit: 10,
            index: 'graph_incoming',
          },
          { where: [{ field: 'target', op: 'in', values: ['b'] }], asOf: ms(T(5)), limit: 10, index: 'graph_incoming' },
          // CIs' nodes by key as of an instant, and a CI's node versions, newest first.
          { where: [{ field: 'key', op: 'in', values: ['a', 'c'] }], asOf: ms(T(2)), limit: 10 },
          {
            where: [{ field: 'key', op: '=', value: 'a' }],
            orderBy: [{ field: 'validFrom', direction: 'desc' }],
            limit: 2,
          },
        ];
        for (const query of queries) {
          const keys = (await store.find<GraphDoc>('graph', query)).map((found) => graphProjection.key(found));
          expect(await store.findKeys('graph', query)).toEqual(keys);
        }
        expect((await store.findKeys('graph', queries[0]!)).sort()).toEqual(['a runs_on b', 'a uses c']);
        expect(await store.findKeys('graph', queries[1]!)).toEqual([]);
        expect(await store.findKeys('graph', queries[3]!)).toEqual(['a', 'a']);
      });

      it('loads every open version of a CI as its state: its node and its edges', async () => {
        const state = (await store.loadState('graph', ['a', 'b'])).get('a')!;
        const keys = state.map((d) => graphProjection.key(d as GraphDoc)).sort();
        expect(keys).toEqual(['a', 'a uses c']);
        expect((await store.loadState('graph', ['b'])).get('b')).toHaveLength(1);
      });

      it('answers `in` conditions with more values than one statement takes parameters', async () => {
        const ids = Array.from({ length: 40_000 }, (_, i) => `id-${i}`).concat(['b']);
        const found = await store.find<GraphNode>('graph', {
          where: [{ field: 'key', op: 'in', values: ids }],
          asOf: ms(T(2)),
          limit: 10,
        });
        expect(found.map((n) => n.ciId)).toEqual(['b']);
      });
    });

    it('keeps leases: one holder at a time, renewed by it, given up, or taken once expired', async () => {
      const leases = store as unknown as LeaseStore;
      expect(await leases.leaseHolder('projections')).toBeUndefined();
      expect(await leases.acquireLease('projections', 'one', 60_000)).toBe(true);
      expect(await leases.leaseHolder('projections')).toBe('one');
      expect(await leases.acquireLease('projections', 'two', 60_000)).toBe(false);
      expect(await leases.acquireLease('relay', 'two', 60_000)).toBe(true); // another lease, another holder
      expect(await leases.acquireLease('projections', 'one', 60_000)).toBe(true);
      await leases.releaseLease('projections', 'two'); // not the holder: nothing happens
      expect(await leases.acquireLease('projections', 'two', 60_000)).toBe(false);
      await leases.releaseLease('projections', 'one');
      expect(await leases.acquireLease('projections', 'two', 200)).toBe(true);
      expect(await leases.acquireLease('projections', 'one', 60_000)).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await leases.acquireLease('projections', 'one', 60_000)).toBe(true); // two's expired
    });

    it('keeps named consumer checkpoints, untouched by view resets', async () => {
      const checkpoints = store as unknown as CheckpointStore;
      expect(await checkpoints.loadCheckpoint('relay:test')).toBe(0);
      await checkpoints.saveCheckpoint('relay:test', 42);
      await store.resetView('changeFeed', 1);
      expect(await checkpoints.loadCheckpoint('relay:test')).toBe(42);
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
