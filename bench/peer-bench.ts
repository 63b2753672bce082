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

/** The workload through any Emmett event store: the same calls whatever it stores in. */
function emmettWorkload(store: EmmettStore, count: number, writers: number, perStream: number): Promise<PeerResult> {
  return workload(
    count,
    writers,
    perStream,
    (stream, index, revision) => {
      const event = benchEvent(index);
      return store.appendToStream(
        stream,
        [{ type: event.type, data: event.data, metadata: event.metadata as object }],
        { expectedStreamVersion: BigInt(revision) },
      );
    },
    async (stream) => (await store.readStream(stream)).events.length,
  );
}

interface EmmettConnection {
  command(sql: string): Promise<unknown>;
  close(): void;
}

/**
 * Emmett's SQLite store as its 0.41+ API intends it for one process: one
 * connection for the store's life (`connectionOptions.singleton`), opened by
 * its own `sqliteConnection` (WAL, as Emmett sets), with `synchronous = FULL`
 * stated, the durability our store runs with in this comparison.
 */
export async function emmettPeerWorkload(
  dir: string,
  count: number,
  writers: number,
  perStream: number,
): Promise<PeerResult> {
  const { getSQLiteEventStore, sqliteConnection } = benchRequire('@event-driven-io/emmett-sqlite') as {
    sqliteConnection(options: { fileName: string }): EmmettConnection;
    getSQLiteEventStore(options: {
      fileName: string;
      schema: { autoMigration: 'CreateOrUpdate' };
      connectionOptions: { singleton: true; connection: EmmettConnection };
    }): EmmettStore;
  };
  const fileName = path.join(dir, `emmett-${randomUUID()}.db`);
  const connection = sqliteConnection({ fileName });
  await connection.command('PRAGMA synchronous = FULL');
  const store = getSQLiteEventStore({
    fileName,
    schema: { autoMigration: 'CreateOrUpdate' },
    connectionOptions: { singleton: true, connection },
  });
  try {
    return await emmettWorkload(store, count, writers, perStream);
  } finally {
    connection.close();
  }
}

interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

/** Where a PostgreSQL server for the second peer is; these machines run one on loopback. */
export const BENCH_POSTGRES_URL = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Why the PostgreSQL peer cannot run here, or undefined when it can. */
export async function postgresPeerUnavailable(): Promise<string | undefined> {
  if (!benchDependencyAvailable('@event-driven-io/emmett-postgresql')) return 'Emmett PostgreSQL is not installed';
  const { Client } = benchRequire('pg') as { Client: new (url: string) => PgClient };
  const client = new Client(BENCH_POSTGRES_URL);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `no PostgreSQL at ${BENCH_POSTGRES_URL} (${(error as Error).message}); set BENCH_POSTGRES_URL`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The second peer, the one a user might pick instead of an embedded store:
 * Emmett on PostgreSQL (its default pooled connections), in a database made
 * for the run and dropped after it. The server's own durability: fsync and
 * synchronous_commit on, PostgreSQL's defaults, which the run records.
 */
export async function emmettPostgresPeerWorkload(count: number, writers: number, perStream: number) {
  const { Client } = benchRequire('pg') as { Client: new (url: string) => PgClient };
  const { getPostgreSQLEventStore } = benchRequire('@event-driven-io/emmett-postgresql') as {
    getPostgreSQLEventStore(url: string, options: object): EmmettStore & { close(): Promise<void> };
  };
  const database = `configledger_bench_${randomUUID().replace(/-/g, '')}`;
  const admin = new Client(BENCH_POSTGRES_URL);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(BENCH_POSTGRES_URL);
  url.pathname = `/${database}`;
  const store = getPostgreSQLEventStore(url.toString(), { schema: { autoMigration: 'CreateOrUpdate' } });
  try {
    const settings = (await admin.query(
      "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')",
    )) as { rows: { name: string; setting: string }[] };
    const result = await emmettWorkload(store, count, writers, perStream);
    return { ...result, durability: Object.fromEntries(settings.rows.map((row) => [row.name, row.setting])) };
  } finally {
    await store.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}
