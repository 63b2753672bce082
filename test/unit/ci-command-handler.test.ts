import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../../src/adapters/event-store/sqlite-event-store';
import { CiCommandHandler } from '../../src/application/ci-command-handler';
import { PreconditionFailedError, WriteContentionError } from '../../src/application/errors';
import { ciStreamName, foldCi, type ChangeMetadata, type CiCommand } from '../../src/domain';
import { toRecordedCiEvent } from '../../src/application/ci-event-codec';
import { ciStateOfSnapshot } from '../../src/application/ci-snapshots';
import type { HistoryPoint } from '../../src/application/history-point';
import {
  ConcurrencyError,
  StoreUnavailableError,
  type EventStore,
  type StreamSnapshot,
} from '../../src/ports/event-store';
import { recordingStreamReads } from '../support/recording-stream-reads';
import { TestClock } from '../support/test-clock';

const metadata: ChangeMetadata = { actor: 'a', reason: null, changeRef: null, source: 'api', correlationId: null };
const declare = (name: string): CiCommand => ({
  type: 'DeclareCi',
  ciId: 'x',
  desired: { type: 'server', name, attributes: {}, relationships: [] },
});

describe('CiCommandHandler', () => {
  let eventStore: SqliteEventStore;
  beforeEach(() => {
    eventStore = new SqliteEventStore({ filename: ':memory:' });
  });
  afterEach(() => eventStore.close());

  /** Makes the next `times` appends lose a race, as if another process had written first. */
  function racing(times: number): EventStore {
    const store = Object.create(eventStore) as EventStore;
    let losses = times;
    store.append = async (stream, events, expected) => {
      if (losses-- > 0) throw new ConcurrencyError(stream, expected, 99);
      return eventStore.append(stream, events, expected);
    };
    return store;
  }

  it('re-decides on the fresh state after losing a race to another process', async () => {
    const handler = new CiCommandHandler({ eventStore: racing(2), clock: new TestClock(), newEventId: randomUUID });
    const outcome = await handler.execute(declare('a'), { metadata });
    expect(outcome).toMatchObject({ appended: true, created: true, ci: { revision: 1 } });
  });

  it('gives up with WriteContentionError after maxAttempts lost races, appending nothing', async () => {
    const handler = new CiCommandHandler({
      eventStore: racing(3),
      clock: new TestClock(),
      newEventId: randomUUID,
      maxAttempts: 3,
    });
    await expect(handler.execute(declare('a'), { metadata })).rejects.toBeInstanceOf(WriteContentionError);
    expect(await eventStore.headPosition()).toBe(0);
  });

  it('does not retry a write pinned with If-Match: the lost race is a 412', async () => {
    const plain = new CiCommandHandler({ eventStore, clock: new TestClock(), newEventId: randomUUID });
    await plain.execute(declare('a'), { metadata });
    const handler = new CiCommandHandler({ eventStore: racing(1), clock: new TestClock(), newEventId: randomUUID });
    await expect(handler.execute(declare('b'), { metadata, ifMatch: [1] })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
  });

  it('passes a store outage through as StoreUnavailableError, never as a conflict', async () => {
    const down = Object.create(eventStore) as EventStore;
    down.append = async () => {
      throw new StoreUnavailableError('connection refused');
    };
    const handler = new CiCommandHandler({ eventStore: down, clock: new TestClock(), newEventId: randomUUID });
    await expect(handler.execute(declare('a'), { metadata })).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  describe('folded-state cache', () => {
    /** Counts full stream reads. */
    function counting(): { store: EventStore; reads: () => number } {
      const store = Object.create(eventStore) as EventStore;
      let reads = 0;
      store.readStream = (stream, options) => {
        reads += 1;
        return eventStore.readStream(stream, options);
      };
      return { store, reads: () => reads };
    }

    it('reuses the state it folded while the stream head has not moved', async () => {
      const { store, reads } = counting();
      const handler = new CiCommandHandler({ eventStore: store, clock: new TestClock(), newEventId: randomUUID });
      await handler.execute(declare('a'), { metadata });
      await handler.execute(declare('b'), { metadata });
      const third = await handler.execute(declare('c'), { metadata });
      expect(third.ci).toMatchObject({ revision: 3, document: { name: 'c' } });
      expect(reads()).toBe(0);
      expect((await eventStore.readStream('ci-x')).length).toBe(3);
    });

    it('re-reads the stream when another process moved the head, and decides on what it wrote', async () => {
      const { store, reads } = counting();
      const clock = new TestClock();
      const ours = new CiCommandHandler({ eventStore: store, clock, newEventId: randomUUID });
      const theirs = new CiCommandHandler({ eventStore, clock, newEventId: randomUUID });
      await ours.execute(declare('a'), { metadata });
      await theirs.execute(declare('b'), { metadata });
      // Our cache still says "a": declaring "a" again must append, because the CI is now "b".
      const outcome = await ours.execute(declare('a'), { metadata });
      expect(outcome).toMatchObject({ appended: true, ci: { revision: 3, document: { name: 'a' } } });
      expect(reads()).toBe(1);
      // An If-Match with the revision the other process produced is honoured, not refused on stale state.
      await theirs.execute(declare('z'), { metadata });
      await expect(ours.execute(declare('y'), { metadata, ifMatch: [4] })).resolves.toMatchObject({
        ci: { revision: 5 },
      });
    });

    /** Counts stream-head reads. */
    function countingHeads(): { store: EventStore; heads: () => number } {
      const store = Object.create(eventStore) as EventStore;
      let reads = 0;
      store.streamHead = (stream) => {
        reads += 1;
        return eventStore.streamHead(stream);
      };
      return { store, heads: () => reads };
    }

    const patch = (attributes: Record<string, number>): CiCommand => ({
      type: 'PatchCi',
      ciId: 'x',
      mergePatch: { attributes },
    });

    it('appends a change to a cached CI without reading its stream head: the append checks the revision', async () => {
      const { store, heads } = countingHeads();
      const handler = new CiCommandHandler({ eventStore: store, clock: new TestClock(), newEventId: randomUUID });
      await handler.execute(declare('a'), { metadata }); // a new CI: its head is read
      const before = heads();
      await handler.execute(declare('b'), { metadata });
      const third = await handler.execute(patch({ n: 1 }), { metadata, ifMatch: [2] });
      expect(heads()).toBe(before);
      expect(third).toMatchObject({
        appended: true,
        ci: { revision: 3, document: { name: 'b', attributes: { n: 1 } } },
      });
    });

    it('decides again on the log, not as a lost race, when another process wrote after the cached state', async () => {
      const clock = new TestClock();
      // One attempt only: a stale cache must not count as a lost race.
      const ours = new CiCommandHandler({ eventStore, clock, newEventId: randomUUID, maxAttempts: 1 });
      const theirs = new CiCommandHandler({ eventStore, clock, newEventId: randomUUID });
      await ours.execute(declare('a'), { metadata });
      await theirs.execute(patch({ theirs: 1 }), { metadata });
      const outcome = await ours.execute(patch({ ours: 2 }), { metadata });
      expect(outcome).toMatchObject({ appended: true, ci: { revision: 3 } });
      expect(outcome.ci.document.attributes).toEqual({ theirs: 1, ours: 2 });
      // An If-Match naming both the cached revision and the one the other process made is honoured.
      await theirs.execute(patch({ theirs: 3 }), { metadata });
      await expect(ours.execute(patch({ ours: 4 }), { metadata, ifMatch: [3, 4] })).resolves.toMatchObject({
        ci: { revision: 5, document: { attributes: { theirs: 3, ours: 4 } } },
      });
    });

    it('asks the change policy only about the change as it would be recorded', async () => {
      const clock = new TestClock();
      const asked: unknown[] = [];
      const policy = {
        check: async (change: { before: unknown }) => {
          asked.push(change.before);
        },
      };
      const ours = new CiCommandHandler({ eventStore, clock, newEventId: randomUUID, policy });
      const theirs = new CiCommandHandler({ eventStore, clock, newEventId: randomUUID });
      await ours.execute(declare('a'), { metadata });
      await theirs.execute(declare('b'), { metadata });
      asked.length = 0;
      await ours.execute(declare('c'), { metadata });
      expect(asked).toEqual([expect.objectContaining({ name: 'b' })]);
    });

    it('can be turned off', async () => {
      const { store, reads } = counting();
      const handler = new CiCommandHandler({
        eventStore: store,
        clock: new TestClock(),
        newEventId: randomUUID,
        stateCacheSize: 0,
      });
      await handler.execute(declare('a'), { metadata }); // a new CI: its missing head is enough
      await handler.execute(declare('b'), { metadata });
      await handler.execute(declare('c'), { metadata });
      expect(reads()).toBe(2);
    });
  });

  describe('snapshots of CIs with long histories', () => {
    const change = (n: number): CiCommand => ({ type: 'PatchCi', ciId: 'x', mergePatch: { attributes: { n } } });
    const stream = ciStreamName('x');

    const reading = () => recordingStreamReads(eventStore);

    /** A handler without a cache: every write loads its CI, as the first write after a restart does. */
    const uncached = (store: EventStore) =>
      new CiCommandHandler({ eventStore: store, clock: new TestClock(), newEventId: randomUUID, stateCacheSize: 0 });

    const wholeStream = async () => foldCi((await eventStore.readStream(stream)).map(toRecordedCiEvent));

    it('loads a CI from its latest snapshot and the events after it, deciding as on the whole stream', async () => {
      const { store, reads } = reading();
      const loads: [string, number][] = [];
      const handler = new CiCommandHandler({
        eventStore: store,
        clock: new TestClock(),
        newEventId: randomUUID,
        stateCacheSize: 0,
        observe: {
          appendSeconds: () => undefined,
          stateCache: () => undefined,
          stateLoad: (...load) => loads.push(load),
        },
      });
      await handler.execute(declare('a'), { metadata });
      for (let n = 2; n <= 250; n++) await handler.execute(change(n), { metadata });
      // Saved each time a load folded a hundred events past the last one: at revisions 100 and 200.
      expect((await eventStore.readSnapshot(stream))?.revision).toBe(200);

      reads.length = 0;
      const outcome = await handler.execute(change(251), { metadata });
      expect(reads).toEqual([201]);
      // Told to the metrics: no load folded more than a hundred events, and this one fifty from the snapshot.
      expect(Math.max(...loads.map(([, events]) => events))).toBe(100);
      expect(loads.at(-1)).toEqual(['snapshot', 50]);
      const whole = await wholeStream();
      expect(whole.revision).toBe(251);
      expect(outcome.ci).toEqual({ ciId: 'x', revision: 251, recordedAt: whole.recordedAt, document: whole.document });
      // A write that changes nothing answers from the same state.
      await expect(handler.execute(change(251), { metadata })).resolves.toMatchObject({
        appended: false,
        ci: { revision: 251, document: whole.document },
      });
    });

    it('saves, its cache warm, the state before the write that is a hundred past the last snapshot', async () => {
      const handler = new CiCommandHandler({ eventStore, clock: new TestClock(), newEventId: randomUUID });
      await handler.execute(declare('a'), { metadata });
      for (let n = 2; n <= 100; n++) await handler.execute(change(n), { metadata });
      expect(await eventStore.readSnapshot(stream)).toBeUndefined();
      await handler.execute(change(101), { metadata });
      const snapshot = await eventStore.readSnapshot(stream);
      expect(snapshot?.revision).toBe(100);
      const first100 = foldCi((await eventStore.readStream(stream, { toRevision: 100 })).map(toRecordedCiEvent));
      expect(ciStateOfSnapshot(snapshot!)).toEqual(first100);
    });

    it.each([
      ['that keeps milestones (findSnapshot)', true],
      ['that keeps the latest snapshot only', false],
    ])(
      'reads the whole stream where the snapshot is of another shape or beyond the head, on a store %s',
      async (_, finds) => {
        const { store, reads } = reading();
        store.saveSnapshot = async () => undefined; // none saved: the test gives its own
        /** The store holds `snapshot` alone, and answers as the event-store contract says. */
        const holding = (snapshot: StreamSnapshot) => {
          store.readSnapshot = async () => snapshot;
          store.findSnapshot = finds
            ? async (_stream, notAfter, accept = () => true) =>
                snapshot.revision <= notAfter && accept(snapshot) ? snapshot : undefined
            : undefined;
        };
        const handler = uncached(store);
        await handler.execute(declare('a'), { metadata });
        for (let n = 2; n <= 105; n++) await handler.execute(change(n), { metadata });
        const whole = await wholeStream();
        const valid = { version: 1, recordedAt: whole.recordedAt, document: { ...whole.document!, name: 'wrong' } };
        // A snapshot of the right shape is trusted (the writer saved it): this one names the CI "wrong".
        holding({ revision: 50, state: valid });
        reads.length = 0;
        const trusted = await handler.execute(change(106), { metadata });
        expect(reads).toEqual([51]);
        expect(trusted.ci).toMatchObject({ revision: 106, document: { name: 'wrong' } });

        const others = [
          { revision: 50, state: { ...valid, version: 99 } },
          { revision: 50, state: { ...valid, document: null } },
          { revision: 999, state: valid },
        ];
        for (const [i, snapshot] of others.entries()) {
          holding(snapshot);
          reads.length = 0;
          const outcome = await handler.execute(change(200 + i), { metadata });
          expect(reads).toEqual([1]);
          expect(outcome.ci.document.name).toBe('a');
        }
      },
    );

    it('restores a long CI from the log up to the point only, from its snapshot where that is not past it', async () => {
      const { store, ranges } = reading();
      const handler = uncached(store);
      await handler.execute(declare('a'), { metadata });
      for (let n = 2; n <= 250; n++) await handler.execute(change(n), { metadata });
      expect((await eventStore.readSnapshot(stream))?.revision).toBe(200);
      const events = (await eventStore.readStream(stream)).map(toRecordedCiEvent);
      const documentAt = (revision: number) => foldCi(events.slice(0, revision)).document;
      const instantOf = (revision: number) => Date.parse(events[revision - 1]!.recordedAt);
      const restore = async (point: HistoryPoint) => {
        ranges.length = 0;
        return (await handler.restore('x', point, 'point', { metadata })).ci;
      };

      // Each restore first loads the CI (uncached: its snapshot at 200, then the events after it).
      const at230 = await restore({ revision: 230 });
      expect(ranges).toEqual([{ fromRevision: 201 }, { fromRevision: 201, toRevision: 230 }]);
      expect(at230).toMatchObject({ revision: 251, document: documentAt(230) });

      const at50 = await restore({ revision: 50 });
      expect(ranges).toEqual([{ fromRevision: 201 }, { fromRevision: 1, toRevision: 50 }]);
      expect(at50).toMatchObject({ revision: 252, document: documentAt(50) });

      const at120 = await restore({ asOf: instantOf(120) });
      expect(ranges).toEqual([{ fromRevision: 201 }, { fromRevision: 1, toRecordedAt: instantOf(120) }]);
      expect(at120.document).toEqual(documentAt(120));

      const at210 = await restore({ asOf: instantOf(210) });
      expect(ranges).toEqual([{ fromRevision: 201 }, { fromRevision: 201, toRecordedAt: instantOf(210) }]);
      expect(at210.document).toEqual(documentAt(210));

      // The preview reads the same way and appends nothing.
      ranges.length = 0;
      const preview = await handler.previewRestore('x', { revision: 240 }, 'point');
      expect(ranges).toEqual([{ fromRevision: 201 }, { fromRevision: 201, toRevision: 240 }]);
      expect(preview.revision).toBe(254);
      expect((await wholeStream()).revision).toBe(254);

      await expect(restore({ revision: 255 })).rejects.toThrow(/has no revision 255; its revisions are 1 to 254/);
      await expect(restore({ asOf: instantOf(1) - 1 })).rejects.toThrow(
        `did not exist yet at ${new Date(instantOf(1) - 1).toISOString()}; it was registered at ${events[0]!.recordedAt}`,
      );
    });

    it('restores to a point before the latest snapshot from the newest milestone not past it', async () => {
      const { store, ranges } = reading();
      const handler = uncached(store);
      await handler.execute(declare('a'), { metadata });
      for (let n = 2; n <= 2_150; n++) await handler.execute(change(n), { metadata });
      expect((await eventStore.readSnapshot(stream))?.revision).toBe(2_100);
      // Kept for good besides the latest: the first snapshot saved past each thousand revisions.
      for (const [notAfter, kept] of [
        [999, undefined],
        [1_999, 1_000],
        [2_099, 2_000],
      ] as const) {
        expect((await eventStore.findSnapshot(stream, notAfter))?.revision).toBe(kept);
      }
      const events = (await eventStore.readStream(stream)).map(toRecordedCiEvent);
      const documentAt = (revision: number) => foldCi(events.slice(0, revision)).document;
      const instantOf = (revision: number) => Date.parse(events[revision - 1]!.recordedAt);
      const restore = async (point: HistoryPoint) => {
        ranges.length = 0;
        const { ci } = await handler.restore('x', point, 'point', { metadata });
        // The first read is the load's: the events after the latest snapshot (2,100).
        expect(ranges[0]).toEqual({ fromRevision: 2_101 });
        return { ci, read: ranges.slice(1) };
      };

      const at1500 = await restore({ revision: 1_500 });
      expect(at1500.read).toEqual([{ fromRevision: 1_001, toRevision: 1_500 }]);
      expect(at1500.ci.document).toEqual(documentAt(1_500));

      const at2050 = await restore({ revision: 2_050 });
      expect(at2050.read).toEqual([{ fromRevision: 2_001, toRevision: 2_050 }]);
      expect(at2050.ci.document).toEqual(documentAt(2_050));

      const at999 = await restore({ revision: 999 });
      expect(at999.read).toEqual([{ fromRevision: 1, toRevision: 999 }]);
      expect(at999.ci.document).toEqual(documentAt(999));

      const at1700 = await restore({ asOf: instantOf(1_700) });
      expect(at1700.read).toEqual([{ fromRevision: 1_001, toRecordedAt: instantOf(1_700) }]);
      expect(at1700.ci.document).toEqual(documentAt(1_700));

      // At the instant of a milestone's own revision, nothing past it is folded.
      const at2000 = await restore({ asOf: instantOf(2_000) });
      expect(at2000.read).toEqual([{ fromRevision: 2_001, toRecordedAt: instantOf(2_000) }]);
      expect(at2000.ci.document).toEqual(documentAt(2_000));
    });

    it('saves the milestones of a CI it folds whole, as its writer would have (a log written before them)', async () => {
      const { store } = reading();
      store.saveSnapshot = undefined; // written as before snapshots: none saved
      const before = new CiCommandHandler({ eventStore: store, clock: new TestClock(), newEventId: randomUUID });
      await before.execute(declare('a'), { metadata });
      for (let n = 2; n <= 2_150; n++) await before.execute(change(n), { metadata });
      expect(await eventStore.readSnapshot(stream)).toBeUndefined();

      const handler = uncached(eventStore);
      await handler.execute(change(2_151), { metadata });
      await new Promise((resolve) => setImmediate(resolve)); // the saves are not waited for
      const events = (await eventStore.readStream(stream)).map(toRecordedCiEvent);
      const stateAt = (revision: number) => {
        const state = foldCi(events.slice(0, revision));
        return { revision, recordedAt: state.recordedAt, document: state.document };
      };
      // The state the write started from is the latest; those at each thousand before it, milestones.
      expect(ciStateOfSnapshot((await eventStore.readSnapshot(stream))!)).toEqual(stateAt(2_150));
      expect(ciStateOfSnapshot((await eventStore.findSnapshot(stream, 2_149))!)).toEqual(stateAt(2_000));
      expect(ciStateOfSnapshot((await eventStore.findSnapshot(stream, 1_999))!)).toEqual(stateAt(1_000));
      expect(await eventStore.findSnapshot(stream, 999)).toBeUndefined();

      // A restore to 1,500 then folds from the milestone at 1,000.
      const restorer = recordingStreamReads(eventStore);
      await uncached(restorer.store).restore('x', { revision: 1_500 }, 'revision', { metadata });
      expect(restorer.reads).toEqual([2_151, 1_001]);
    });

    it('saves the milestones a restore folds past where the CI has none (snapshots saved before milestones)', async () => {
      const { store, ranges } = reading();
      // Written as before milestones: the latest snapshot only.
      store.saveSnapshot = (stream, snapshot) => eventStore.saveSnapshot(stream, snapshot);
      const before = uncached(store);
      await before.execute(declare('a'), { metadata });
      for (let n = 2; n <= 2_150; n++) await before.execute(change(n), { metadata });
      expect((await eventStore.readSnapshot(stream))?.revision).toBe(2_100);
      expect(await eventStore.findSnapshot(stream, 2_099)).toBeUndefined();

      const restorer = uncached(store);
      const events = (await eventStore.readStream(stream)).map(toRecordedCiEvent);
      const restore = async (revision: number) => {
        ranges.length = 0;
        const { ci } = await restorer.restore('x', { revision }, 'revision', { metadata });
        await new Promise((resolve) => setImmediate(resolve)); // the saves are not waited for
        expect(ci.document).toEqual(foldCi(events.slice(0, revision)).document);
        return ranges.slice(1); // after the load's read
      };
      // Saved by the writer that keeps them now: kept for good once saved.
      store.saveSnapshot = (...args) => eventStore.saveSnapshot(...args);
      expect(await restore(1_500)).toEqual([{ fromRevision: 1, toRevision: 1_500 }]);
      expect((await eventStore.findSnapshot(stream, 1_999))?.revision).toBe(1_000);
      expect(await restore(1_200)).toEqual([{ fromRevision: 1_001, toRevision: 1_200 }]);
      expect(await restore(2_050)).toEqual([{ fromRevision: 1_001, toRevision: 2_050 }]);
      expect(ciStateOfSnapshot((await eventStore.findSnapshot(stream, 2_099))!)).toEqual({
        revision: 2_000,
        recordedAt: events[1_999]!.recordedAt,
        document: foldCi(events.slice(0, 2_000)).document,
      });
      expect(await restore(2_060)).toEqual([{ fromRevision: 2_001, toRevision: 2_060 }]);
    });

    it('restores a short CI it has not cached from the one read that loaded it', async () => {
      const { store, ranges } = reading();
      const handler = uncached(store);
      await handler.execute(declare('a'), { metadata });
      for (let n = 2; n <= 5; n++) await handler.execute(change(n), { metadata });
      const events = (await eventStore.readStream(stream)).map(toRecordedCiEvent);
      ranges.length = 0;
      const outcome = await handler.restore('x', { revision: 2 }, 'revision', { metadata });
      expect(ranges).toEqual([{}]);
      expect(outcome.ci).toMatchObject({ revision: 6, document: foldCi(events.slice(0, 2)).document });
      const before = Date.parse(events[0]!.recordedAt) - 1;
      await expect(handler.restore('x', { asOf: before }, 'asOf', { metadata })).rejects.toThrow(
        `it was registered at ${events[0]!.recordedAt}`,
      );
      await expect(handler.restore('x', { revision: 7 }, 'revision', { metadata })).rejects.toThrow(
        /its revisions are 1 to 6/,
      );
    });

    it('fails no write when a snapshot cannot be saved', async () => {
      const { store } = reading();
      store.saveSnapshot = async () => {
        throw new StoreUnavailableError('the event log could not save a snapshot: disk I/O error');
      };
      const handler = uncached(store);
      await handler.execute(declare('a'), { metadata });
      for (let n = 2; n <= 120; n++) await handler.execute(change(n), { metadata });
      expect((await wholeStream()).revision).toBe(120);
      expect(await eventStore.readSnapshot(stream)).toBeUndefined();
    });
  });
});
