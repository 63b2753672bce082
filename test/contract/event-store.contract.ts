import { randomUUID } from 'node:crypto';
import { firstValueFrom, take, timeout } from 'rxjs';
import { ConcurrencyError, type EventStore, type NewEvent, type StreamSnapshot } from '../../src/ports/event-store';
import { GENESIS_HASH, chainHash } from '../../src/ports/event-chain';

export interface EventStoreFixture {
  readonly store: EventStore;
  /** Closes the store and removes whatever the fixture created. */
  cleanup(): Promise<void>;
}

let sequence = 0;
/**
 * The prefix of the contract suites' streams: not `ci-`, so that a service
 * sharing the server (compose runs one) never reads these test events as CIs.
 */
export const CONTRACT_STREAM_PREFIX = 'contract-';

/** Stream names unique per test run, so suites can share a real server. */
export function uniqueStream(label: string): string {
  sequence += 1;
  return `${CONTRACT_STREAM_PREFIX}${label}-${process.pid}-${Date.now()}-${sequence}`;
}

export function newEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    id: randomUUID(),
    type: 'CiChanged',
    data: { ciId: 'x', patch: [] },
    metadata: { actor: 'tester', reason: null, changeRef: null, source: 'api', correlationId: null },
    recordedAt: new Date('2026-01-01T00:00:00.000Z').toISOString(),
    ...overrides,
  };
}

/**
 * The behaviour every EventStore adapter must have, written once and run
 * against each adapter (SQLite always; EventStoreDB when EVENTSTORE_URL is set).
 */
export function eventStoreContract(name: string, createFixture: () => Promise<EventStoreFixture>): void {
  describe(`EventStore contract: ${name}`, () => {
    let fixture: EventStoreFixture;
    let store: EventStore;

    beforeEach(async () => {
      fixture = await createFixture();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('appends to a new stream: revision 1 and a position after the previous head', async () => {
      const before = await store.headPosition();
      const stream = uniqueStream('new');
      const result = await store.append(stream, [newEvent()], 'no_stream');
      expect(result.revision).toBe(1);
      expect(result.position).toBeGreaterThan(before);
      expect(await store.headPosition()).toBeGreaterThanOrEqual(result.position);
    });

    it('treats expected revision 0 like no_stream', async () => {
      const stream = uniqueStream('zero');
      await expect(store.append(stream, [newEvent()], 0)).resolves.toMatchObject({ revision: 1 });
      await expect(store.append(stream, [newEvent()], 0)).rejects.toBeInstanceOf(ConcurrencyError);
    });

    it('appends several events atomically with consecutive revisions and increasing positions', async () => {
      const stream = uniqueStream('many');
      await store.append(stream, [newEvent()], 'no_stream');
      const result = await store.append(stream, [newEvent(), newEvent(), newEvent()], 1);
      expect(result.revision).toBe(4);
      const events = await store.readStream(stream);
      expect(events.map((e) => e.revision)).toEqual([1, 2, 3, 4]);
      const positions = events.map((e) => e.position);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      expect(new Set(positions).size).toBe(4);
      expect(events.at(-1)!.position).toBe(result.position);
    });

    it('rejects a stale expected revision with ConcurrencyError and appends nothing', async () => {
      const stream = uniqueStream('stale');
      await store.append(stream, [newEvent()], 'no_stream');
      await store.append(stream, [newEvent()], 1);
      const error = await store.append(stream, [newEvent(), newEvent()], 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect((error as ConcurrencyError).actual).toBe(2);
      expect(await store.readStream(stream)).toHaveLength(2);
    });

    it('rejects no_stream on an existing stream', async () => {
      const stream = uniqueStream('exists');
      await store.append(stream, [newEvent()], 'no_stream');
      await expect(store.append(stream, [newEvent()], 'no_stream')).rejects.toBeInstanceOf(ConcurrencyError);
    });

    it('appends with any whatever the stream holds', async () => {
      const stream = uniqueStream('any');
      await expect(store.append(stream, [newEvent()], 'any')).resolves.toMatchObject({ revision: 1 });
      await expect(store.append(stream, [newEvent()], 'any')).resolves.toMatchObject({ revision: 2 });
    });

    it('lets exactly one of two racing appends at the same revision win', async () => {
      const stream = uniqueStream('race');
      await store.append(stream, [newEvent()], 'no_stream');
      const results = await Promise.allSettled([
        store.append(stream, [newEvent({ type: 'A' })], 1),
        store.append(stream, [newEvent({ type: 'B' })], 1),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
      expect(await store.readStream(stream)).toHaveLength(2);
    });

    it('commits concurrent appends to different streams, each at a distinct position', async () => {
      const streams = Array.from({ length: 20 }, (_, i) => uniqueStream(`parallel${i}`));
      const results = await Promise.all(streams.map((s) => store.append(s, [newEvent()], 'no_stream')));
      expect(new Set(results.map((r) => r.position)).size).toBe(20);
      for (const stream of streams) expect(await store.readStream(stream)).toHaveLength(1);
    });

    it('round-trips ids, types, data, metadata and recorded time exactly', async () => {
      const stream = uniqueStream('roundtrip');
      const event = newEvent({
        type: 'CiRegistered',
        data: { ciId: 'ü-1', nested: { list: [1, 'two', null, { deep: true }], empty: {} }, text: 'naïve ✓' },
        metadata: { actor: 'zoë', reason: 'why\nnot', changeRef: 'CHG-1', source: 'import', correlationId: 'req-1' },
        recordedAt: '2026-03-04T05:06:07.089Z',
      });
      await store.append(stream, [event], 'no_stream');
      const [read] = await store.readStream(stream);
      expect(read).toMatchObject({ ...event, streamName: stream, revision: 1 });
    });

    it('reads a missing stream as empty and has no head for it', async () => {
      const stream = uniqueStream('missing');
      expect(await store.readStream(stream)).toEqual([]);
      expect(await store.streamHead(stream)).toBeUndefined();
    });

    it('reads a stream up to a revision or up to a recorded time', async () => {
      const stream = uniqueStream('upto');
      const times = ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'];
      let revision = 0;
      for (const recordedAt of times) {
        await store.append(stream, [newEvent({ recordedAt })], revision);
        revision += 1;
      }
      expect((await store.readStream(stream, { toRevision: 2 })).map((e) => e.revision)).toEqual([1, 2]);
      const upToTime = await store.readStream(stream, { toRecordedAt: Date.parse('2026-01-02T12:00:00.000Z') });
      expect(upToTime.map((e) => e.recordedAt)).toEqual(times.slice(0, 2));
      expect(await store.readStream(stream, { toRecordedAt: Date.parse(times[0]!) - 1 })).toEqual([]);
    });

    it('chains every event: each follows its predecessor and its hash recomputes from its content', async () => {
      const a = uniqueStream('chain-a');
      const b = uniqueStream('chain-b');
      await store.append(a, [newEvent(), newEvent()], 'no_stream');
      await store.append(b, [newEvent()], 'no_stream');
      await store.append(a, [newEvent({ data: { nested: { n: 1.5, s: 'é' } } })], 2);
      const events = [...(await store.readStream(a)), ...(await store.readStream(b))].sort(
        (x, y) => x.position - y.position,
      );
      for (const event of events) {
        expect(event.chain).toBeDefined();
        expect(chainHash(event.chain!.prevHash, event)).toBe(event.chain!.hash);
      }
      const [a1, a2, b1, a3] = events;
      expect(a2!.chain!.prevHash).toBe(a1!.chain!.hash);
      if (store.chainScope === 'per-stream') {
        expect(a3!.chain!.prevHash).toBe(a2!.chain!.hash);
        expect(b1!.chain!.prevHash).toBe(GENESIS_HASH);
      } else {
        expect(b1!.chain!.prevHash).toBe(a2!.chain!.hash);
        expect(a3!.chain!.prevHash).toBe(b1!.chain!.hash);
        expect(await store.chainHead?.()).toEqual({ position: a3!.position, hash: a3!.chain!.hash });
      }
    });

    it('reads a page of a stream from a revision (history paging)', async () => {
      const stream = uniqueStream('page');
      for (let revision = 0; revision < 5; revision++) await store.append(stream, [newEvent()], revision);
      const revisions = async (options: { fromRevision?: number; toRevision?: number }) =>
        (await store.readStream(stream, options)).map((event) => event.revision);
      expect(await revisions({ fromRevision: 2, toRevision: 3 })).toEqual([2, 3]);
      expect(await revisions({ fromRevision: 4 })).toEqual([4, 5]);
      expect(await revisions({ fromRevision: 6 })).toEqual([]);
      expect(await revisions({ fromRevision: 3, toRevision: 2 })).toEqual([]);
    });

    // Revision and position only: every read about a CI and every write ask for it, and neither
    // needs the event itself (on SQLite the index answers alone).
    it('reports the head of a stream: its latest revision and position', async () => {
      const stream = uniqueStream('head');
      await store.append(stream, [newEvent()], 'no_stream');
      const last = await store.append(stream, [newEvent({ recordedAt: '2026-05-05T00:00:00.000Z' })], 1);
      expect(await store.streamHead(stream)).toEqual({ revision: 2, position: last.position });
      expect(await store.streamHead(uniqueStream('never-written'))).toBeUndefined();
    });

    it('reads the global log after a position, in position order, a page at a time', async () => {
      const start = await store.headPosition();
      const a = uniqueStream('globalA');
      const b = uniqueStream('globalB');
      await store.append(a, [newEvent()], 'no_stream');
      await store.append(b, [newEvent()], 'no_stream');
      await store.append(a, [newEvent()], 1);
      const all = await store.readAll(start, 100);
      const ours = all.filter((e) => e.streamName === a || e.streamName === b);
      expect(ours.map((e) => [e.streamName, e.revision])).toEqual([
        [a, 1],
        [b, 1],
        [a, 2],
      ]);
      const positions = all.map((e) => e.position);
      expect([...positions].sort((x, y) => x - y)).toEqual(positions);
      const firstPage = await store.readAll(start, 2);
      expect(firstPage).toHaveLength(2);
      const nextPage = await store.readAll(firstPage[1]!.position, 100);
      expect(nextPage[0]!.position).toBeGreaterThan(firstPage[1]!.position);
    });

    it('reads in stream order up to a position, a page at a time, where the adapter offers it', async () => {
      if (!store.readByStream) {
        console.warn(`${name}: readByStream not offered; rebuilds replay in position order`);
        return;
      }
      // The store may hold other tests' events: ours sort after them by the stream label.
      const b = uniqueStream('zzByStreamB');
      const a = uniqueStream('zzByStreamA');
      await store.append(b, [newEvent()], 'no_stream');
      await store.append(a, [newEvent(), newEvent()], 'no_stream');
      const upTo = (await store.append(b, [newEvent()], 1)).position;
      await store.append(a, [newEvent()], 2); // after upTo: left out
      const ours = (events: { streamName: string; revision: number }[]) =>
        events.filter((e) => e.streamName === a || e.streamName === b).map((e) => [e.streamName, e.revision]);
      const expected = [
        [a, 1],
        [a, 2],
        [b, 1],
        [b, 2],
      ];
      expect(ours(await store.readByStream(upTo, undefined, 10_000))).toEqual(expected);
      const pages: { streamName: string; revision: number }[] = [];
      let after: { streamName: string; revision: number } | undefined = { streamName: a, revision: 0 };
      for (;;) {
        const page = await store.readByStream(upTo, after, 1);
        if (page.length === 0 || !page[0]!.streamName.includes('zzByStream')) break;
        pages.push(...page);
        after = page[0]!;
      }
      expect(ours(pages)).toEqual(expected);
    });

    it('counts the events after a position, up to a cap', async () => {
      const start = await store.headPosition();
      const results = [];
      for (const label of ['countA', 'countB', 'countC']) {
        results.push(await store.append(uniqueStream(label), [newEvent()], 'no_stream'));
      }
      expect(await store.countAfter(start, 10)).toBe(3);
      expect(await store.countAfter(start, 2)).toBe(2);
      expect(await store.countAfter(results[0]!.position, 10)).toBe(2);
      expect(await store.countAfter(results[2]!.position, 10)).toBe(0);
    });

    it('keeps the latest snapshot of a stream apart from its events', async () => {
      // Both adapters offer snapshots (the writer's cache for CIs of long histories).
      const { readSnapshot, saveSnapshot } = store;
      expect(readSnapshot).toBeDefined();
      expect(saveSnapshot).toBeDefined();
      const read = (stream: string) => readSnapshot!.call(store, stream);
      const save = (stream: string, revision: number, state: unknown) =>
        saveSnapshot!.call(store, stream, { revision, state });
      const before = await store.headPosition();
      const stream = uniqueStream('snapshot');
      await store.append(stream, [newEvent(), newEvent()], 'no_stream');
      expect(await read(stream)).toBeUndefined();

      await save(stream, 2, { document: { name: 'two' }, tags: ['a'] });
      expect(await read(stream)).toEqual({ revision: 2, state: { document: { name: 'two' }, tags: ['a'] } });
      await save(stream, 1, { document: { name: 'one' } });
      expect(await read(stream)).toEqual({ revision: 2, state: { document: { name: 'two' }, tags: ['a'] } });
      const last = await store.append(stream, [newEvent()], 2);
      await save(stream, 3, { document: { name: 'three' } });
      expect(await read(stream)).toEqual({ revision: 3, state: { document: { name: 'three' } } });
      expect(await read(uniqueStream('no-snapshot'))).toBeUndefined();

      // Snapshots are not events: no read, count or position includes them.
      expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([1, 2, 3]);
      expect((await store.readAll(before, 100)).map((e) => e.streamName)).toEqual([stream, stream, stream]);
      expect(await store.countAfter(before, 100)).toBe(3);
      expect(await store.headPosition()).toBe(last.position);
    });

    it('keeps the snapshots saved as milestones and finds the newest not past a revision that a test accepts', async () => {
      const { saveSnapshot, findSnapshot } = store;
      expect(findSnapshot).toBeDefined();
      const save = (stream: string, revision: number, milestone: boolean) =>
        saveSnapshot!.call(store, stream, { revision, state: { n: revision } }, { milestone });
      const find = (stream: string, notAfter: number, accept?: (snapshot: StreamSnapshot) => boolean) =>
        findSnapshot!.call(store, stream, notAfter, accept);
      const found = async (...args: Parameters<typeof find>) => (await find(...args))?.revision;
      const before = await store.headPosition();
      const stream = uniqueStream('milestones');
      const last = await store.append(stream, [newEvent()], 'no_stream');
      expect(await find(stream, 10_000)).toBeUndefined();

      for (const [revision, milestone] of [
        [100, false],
        [1_000, true],
        [1_100, false],
        [2_000, true],
        [2_100, false],
      ] as const) {
        await save(stream, revision, milestone);
      }
      expect(await store.readSnapshot!(stream)).toEqual({ revision: 2_100, state: { n: 2_100 } });
      expect(await find(stream, 10_000)).toEqual({ revision: 2_100, state: { n: 2_100 } });
      expect(await find(stream, 2_099)).toEqual({ revision: 2_000, state: { n: 2_000 } });
      // 1,100 and 100 were replaced as the latest and were no milestones: they are gone.
      expect(await found(stream, 1_999)).toBe(1_000);
      expect(await found(stream, 999)).toBeUndefined();

      // Newest first, the latest before the milestones, until one is accepted.
      const tried: number[] = [];
      const accepted = await found(stream, 10_000, (snapshot) => {
        tried.push(snapshot.revision);
        return snapshot.revision < 1_500;
      });
      expect(accepted).toBe(1_000);
      expect(tried).toEqual([2_100, 2_000, 1_000]);
      expect(await found(stream, 10_000, () => false)).toBeUndefined();
      expect(await found(uniqueStream('no-milestones'), 10_000)).toBeUndefined();

      // A milestone older than the latest (another writer's, saved late) is kept; the latest stays.
      await save(stream, 1_500, true);
      expect(await found(stream, 10_000)).toBe(2_100);
      expect(await found(stream, 1_999)).toBe(1_500);

      // Milestones are not events either.
      expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([1]);
      expect((await store.readAll(before, 100)).map((e) => e.streamName)).toEqual([stream]);
      expect(await store.headPosition()).toBe(last.position);
    });

    it('signals appends on appended$', async () => {
      const signal = firstValueFrom(store.appended$.pipe(take(1), timeout(5000)));
      const result = await store.append(uniqueStream('signal'), [newEvent()], 'no_stream');
      expect(await signal).toBeGreaterThanOrEqual(result.position);
    });
  });
}
