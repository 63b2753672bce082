import { Readable } from 'node:stream';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { EventStoreDbEventStore } from '../../../src/adapters/event-store/eventstoredb-event-store';
import { toEsdbEventData } from '../../../src/adapters/event-store/eventstoredb-mapping';
import { AppendTooLargeError, type StreamSnapshot } from '../../../src/ports/event-store';
import { newEvent } from '../../contract/event-store.contract';
import { silentLogger } from '../../support/test-service';

/**
 * The adapter against a fake of the client, for failure modes no local server
 * shows on demand: long logs, reads left early, an idempotent retry without a
 * position, an append over the server's size limit.
 */
interface FakeEvent {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  isJson: true;
  data: unknown;
  metadata: unknown;
  position: { commit: bigint; prepare: bigint };
}

class FakeClient {
  readonly all: FakeEvent[] = [];
  cancelled = 0;
  appendResult: ((stream: string, events: unknown, expectedRevision: unknown) => unknown) | undefined;

  add(streamId: string, count: number): void {
    for (let i = 0; i < count; i++) {
      const position = BigInt((this.all.length + 1) * 100);
      const revision = BigInt(this.all.filter((e) => e.streamId === streamId).length);
      const event = newEvent();
      const stored = toEsdbEventData(event);
      this.all.push({
        streamId,
        id: event.id,
        revision,
        type: event.type,
        isJson: true,
        data: stored.data,
        metadata: stored.metadata,
        position: { commit: position, prepare: position },
      });
    }
  }

  private read(events: FakeEvent[]) {
    const read = Readable.from(
      events.map((event) => ({ event })),
      { objectMode: true },
    ) as Readable & {
      cancel(): Promise<void>;
    };
    read.cancel = async () => {
      this.cancelled += 1;
      read.destroy();
    };
    return read;
  }

  readAllCalls = 0;

  readAll(options: { direction: string; fromPosition: unknown; maxCount: number }) {
    this.readAllCalls += 1;
    const forwards = options.direction === 'forwards';
    const from = options.fromPosition as { commit: bigint } | string;
    let events = forwards ? this.all : [...this.all].reverse();
    if (typeof from === 'object') {
      events = events.filter((e) => (forwards ? e.position.commit >= from.commit : e.position.commit <= from.commit));
    }
    return this.read(events.slice(0, options.maxCount));
  }

  readonly streamsRead: string[] = [];

  readStream(stream: string, options: { direction: string; maxCount?: number }) {
    this.streamsRead.push(stream);
    let events = this.all.filter((e) => e.streamId === stream);
    if (options.direction === 'backwards') events = events.reverse();
    return this.read(events.slice(0, options.maxCount ?? events.length));
  }

  /** Appends land in the fake log, each told to `seen` first, as the server would keep them. */
  keepAppends(seen: (stream: string, expectedRevision: unknown) => void): void {
    this.appendResult = (stream, events, expectedRevision) => {
      seen(stream, expectedRevision);
      const { data } = events as { data: unknown };
      const revision = BigInt(this.all.filter((e) => e.streamId === stream).length);
      this.all.push({ ...this.all[0]!, streamId: stream, revision, data });
      return { success: true, nextExpectedRevision: revision, position: undefined };
    };
  }

  async appendToStream(stream: string, events: unknown, options?: { expectedRevision: unknown }) {
    return this.appendResult!(stream, events, options?.expectedRevision);
  }

  readonly metadataSet: [string, unknown][] = [];

  async setStreamMetadata(stream: string, metadata: unknown) {
    this.metadataSet.push([stream, metadata]);
  }

  subscribeToAll() {
    return this.read([]);
  }

  async dispose() {}
}

function storeOn(client: FakeClient) {
  return new EventStoreDbEventStore({
    connectionString: 'esdb://unused:2113?tls=false',
    logger: silentLogger,
    client: client as unknown as EventStoreDBClient,
  });
}

describe('EventStoreDB adapter, client failure modes (fake client)', () => {
  it('counts lag beyond one scan page: until the cap or the end of the log, never stopping at 512', async () => {
    const client = new FakeClient();
    client.add('$system', 3);
    for (let i = 0; i < 20; i++) client.add(`ci-${i}`, 100);
    const store = storeOn(client);
    expect(await store.countAfter(0, 100_000)).toBe(2000);
    expect(await store.countAfter(0, 700)).toBe(700);
    const position = Number(client.all[1500]!.position.commit);
    expect(await store.countAfter(position, 100_000)).toBe(2003 - 1501);
    await store.close();
  });

  it('walks a log of system events only once for its head, while nothing is appended (readiness polls it)', async () => {
    const client = new FakeClient();
    client.add('$system', 3000);
    const store = storeOn(client);
    expect(await store.headPosition()).toBe(0);
    const walk = client.readAllCalls;
    expect(walk).toBeGreaterThan(5); // 3,000 events, 512 a page
    expect(await store.headPosition()).toBe(0);
    expect(client.readAllCalls - walk).toBe(1); // one page, to see that nothing moved
    expect(await store.countAfter(0, 10_000)).toBe(0); // a forward scan, once: the CI-free range is remembered
    const scanned = client.readAllCalls;
    expect(await store.countAfter(0, 10_000)).toBe(0);
    expect(client.readAllCalls - scanned).toBeLessThanOrEqual(1);
    client.add('ci-a', 1);
    expect(await store.headPosition()).toBe(Number(client.all.at(-1)!.position.commit));
    await store.close();
  });

  it('cancels a stream read it leaves early', async () => {
    const client = new FakeClient();
    client.add('ci-a', 5);
    const store = storeOn(client);
    await store.streamHead('ci-a'); // the newest event, then the read is left
    expect(client.cancelled).toBe(1);
    const cutOff = Date.now() - 1;
    // Every event was recorded after cutOff: the read ends at the first one.
    client.all.forEach(
      (e) => ((e.metadata as { recordedAt: string }).recordedAt = new Date(cutOff + 10).toISOString()),
    );
    expect(await store.readStream('ci-a', { toRecordedAt: cutOff })).toEqual([]);
    expect(client.cancelled).toBe(2);
    await store.close();
  });

  it('takes the position of an idempotent append retried before the first was indexed from the stream head', async () => {
    const client = new FakeClient();
    client.add('ci-a', 1);
    client.appendResult = () => ({ success: true, nextExpectedRevision: 0n, position: undefined });
    const store = storeOn(client);
    expect(await store.append('ci-a', [newEvent()], 'no_stream')).toEqual({ revision: 1, position: 100 });
    await store.close();
  });

  it('refuses an append over the server size limit as too large (413), not a server failure', async () => {
    const client = new FakeClient();
    client.appendResult = () => {
      throw Object.assign(new Error('Maximum Append Size of 1048576 Exceeded.'), {
        type: 'maximum-append-size-exceeded',
        maxAppendSize: 1_048_576,
      });
    };
    const store = storeOn(client);
    const error = await store.append('ci-big', [newEvent()], 'no_stream').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppendTooLargeError);
    expect((error as Error).message).toMatch(/larger than the event log takes in one append \(1048576 bytes\)/);
    await store.close();
  });

  it('saves a snapshot at the revision it read of the snapshot stream, keeps one on the server, drops a save that lost a race', async () => {
    const client = new FakeClient();
    const expected: unknown[] = [];
    client.keepAppends((_stream, expectedRevision) => expected.push(expectedRevision));
    client.add('ci-a', 1);
    const store = storeOn(client);
    expect(await store.readSnapshot('ci-a')).toBeUndefined();

    await store.saveSnapshot('ci-a', { revision: 100, state: { n: 100 } });
    expect(expected).toEqual(['no_stream']);
    expect(client.metadataSet).toEqual([['snapshot-ci-a', { maxCount: 1 }]]);
    expect(await store.readSnapshot('ci-a')).toEqual({ revision: 100, state: { n: 100 } });

    await store.saveSnapshot('ci-a', { revision: 50, state: { n: 50 } }); // older: not appended
    await store.saveSnapshot('ci-a', { revision: 200, state: { n: 200 } });
    expect(expected).toEqual(['no_stream', 0n]);
    expect(client.metadataSet).toHaveLength(1);
    expect(await store.readSnapshot('ci-a')).toEqual({ revision: 200, state: { n: 200 } });
    // Snapshots are not CI events.
    expect((await store.readAll(0, 10)).map((e) => e.streamName)).toEqual(['ci-a']);

    client.appendResult = () => {
      throw Object.assign(new Error('WrongExpectedVersion'), { type: 'wrong-expected-version', actualVersion: 5n });
    };
    await expect(store.saveSnapshot('ci-a', { revision: 300, state: { n: 300 } })).resolves.toBeUndefined();
    await store.close();
  });

  it('keeps snapshot milestones in a stream of their own, uncapped, read backwards only until one will do', async () => {
    const client = new FakeClient();
    const appended: [string, unknown][] = [];
    client.keepAppends((stream, expectedRevision) => appended.push([stream, expectedRevision]));
    client.add('ci-a', 1);
    const store = storeOn(client);
    for (const [revision, milestone] of [
      [1_000, true],
      [1_100, false],
      [2_000, true],
      [2_100, false],
    ] as const) {
      await store.saveSnapshot('ci-a', { revision, state: { n: revision } }, { milestone });
    }
    // A milestone after the latest, appended whatever its stream holds; the latest's stream alone is capped.
    expect(appended).toEqual([
      ['snapshot-ci-a', 'no_stream'],
      ['milestone-ci-a', undefined],
      ['snapshot-ci-a', 0n],
      ['snapshot-ci-a', 1n],
      ['milestone-ci-a', undefined],
      ['snapshot-ci-a', 2n],
    ]);
    expect(client.metadataSet).toEqual([['snapshot-ci-a', { maxCount: 1 }]]);

    const find = async (notAfter: number, accept?: (snapshot: StreamSnapshot) => boolean) => {
      client.streamsRead.length = 0;
      const cancelled = client.cancelled;
      const found = await store.findSnapshot('ci-a', notAfter, accept);
      return { found: found?.revision, read: [...client.streamsRead], cancelled: client.cancelled - cancelled };
    };
    // The latest will do: no milestone is read.
    expect(await find(5_000)).toEqual({ found: 2_100, read: ['snapshot-ci-a'], cancelled: 1 });
    // Read backwards and left (cancelled) at the first that will do.
    expect(await find(2_099)).toEqual({ found: 2_000, read: ['snapshot-ci-a', 'milestone-ci-a'], cancelled: 2 });
    expect(await find(5_000, (snapshot) => snapshot.revision < 1_500)).toEqual({
      found: 1_000,
      read: ['snapshot-ci-a', 'milestone-ci-a'],
      cancelled: 2,
    });
    // None will do: the milestones are read to their start.
    expect(await find(999)).toEqual({ found: undefined, read: ['snapshot-ci-a', 'milestone-ci-a'], cancelled: 1 });
    // A milestone older than the latest stored (another writer's) is kept all the same.
    const before = appended.length;
    await store.saveSnapshot('ci-a', { revision: 1_500, state: { n: 1_500 } }, { milestone: true });
    expect(appended.slice(before)).toEqual([['milestone-ci-a', undefined]]);
    expect((await find(1_999)).found).toBe(1_500);
    expect((await store.readAll(0, 10)).map((e) => e.streamName)).toEqual(['ci-a']);
    await store.close();
  });
});
