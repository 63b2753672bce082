import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { benchDependencyAvailable, benchRequire } from './bench-deps';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { benchEvent } from './append-bench';
import { nowMs } from './stats';

interface EmmettStore {
  appendToStream(
    stream: string,
    events: { type: string; data: unknown; metadata?: unknown }[],
    options?: { expectedStreamVersion?: bigint },
  ): Promise<unknown>;
  readStream(stream: string): Promise<{ events: unknown[] }>;
}

export function emmettAvailable(): boolean {
  return benchDependencyAvailable('@event-driven-io/emmett-sqlite');
}

export interface PeerResult {
  readonly appendsPerSecond: number;
  readonly readsPerSecond: number;
}

/**
 * The same append-and-read workload for both stores: `writers` concurrent
 * clients append `count` events, `perStream` to a stream (each append states
 * the revision it expects), then every stream is read back whole.
 */
async function workload(
  count: number,
  writers: number,
  perStream: number,
  append: (stream: string, index: number, revision: number) => Promise<unknown>,
  read: (stream: string) => Promise<number>,
): Promise<PeerResult> {
  const streams = Math.ceil(count / perStream);
  let nextStream = 0;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (nextStream < streams) {
        const s = nextStream++;
        for (let revision = 0; revision < perStream; revision++)
          await append(`ci-peer-${s}`, s * perStream + revision, revision);
      }
    }),
  );
  const appendMs = nowMs() - start;
  const readStart = nowMs();
  let read_ = 0;
  for (let s = 0; s < streams; s++) read_ += await read(`ci-peer-${s}`);
  const readMs = nowMs() - readStart;
  return { appendsPerSecond: (streams * perStream * 1000) / appendMs, readsPerSecond: (read_ * 1000) / readMs };
}

export async function oursPeerWorkload(
  dir: string,
  count: number,
  writers: number,
  perStream: number,
): Promise<PeerResult> {
  const store = new SqliteEventStore({ filename: path.join(dir, `ours-peer-${randomUUID()}.db`), synchronous: 'full' });
  const result = await workload(
    count,
    writers,
    perStream,
    (stream, index, revision) => store.append(stream, [benchEvent(index)], revision),
    async (stream) => (await store.readStream(stream)).length,
  );
  await store.close();
  return result;
}

export async function emmettPeerWorkload(
  dir: string,
  count: number,
  writers: number,
  perStream: number,
): Promise<PeerResult> {
  const { getSQLiteEventStore } = benchRequire('@event-driven-io/emmett-sqlite') as {
    getSQLiteEventStore(options: { fileName: string; schema: { autoMigration: 'CreateOrUpdate' } }): EmmettStore;
  };
  const store = getSQLiteEventStore({
    fileName: path.join(dir, `emmett-${randomUUID()}.db`),
    schema: { autoMigration: 'CreateOrUpdate' },
  });
  return workload(
    count,
    writers,
    perStream,
    (stream, index, revision) => {
      const event = benchEvent(index);
      return store.appendToStream(
        stream,
        [{ type: event.type, data: event.data, metadata: event.metadata as object }],
        {
          expectedStreamVersion: BigInt(revision),
        },
      );
    },
    async (stream) => (await store.readStream(stream)).events.length,
  );
}
