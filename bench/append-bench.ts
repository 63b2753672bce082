import { randomUUID } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import type { NewEvent } from '../src/ports/event-store';
import { serverDocument } from './fixtures';
import { nowMs } from './stats';

/** The same event rows for every contender: a realistic registration with its metadata. */
export function benchEvent(index: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'CiRegistered',
    data: { ciId: `ci-${index}`, document: serverDocument(index, 0) },
    metadata: { actor: 'bench', reason: 'benchmark', changeRef: 'CHG-1', source: 'api', correlationId: randomUUID() },
    recordedAt: new Date(Date.UTC(2026, 0, 1) + index).toISOString(),
  };
}

/** Our event store: sequential single appends (each waits for its own fsync), appends per second. */
export async function oursSingle(dir: string, count: number): Promise<number> {
  const store = new SqliteEventStore({
    filename: path.join(dir, `ours-single-${randomUUID()}.db`),
    synchronous: 'full',
  });
  const events = Array.from({ length: count }, (_, i) => benchEvent(i));
  const start = nowMs();
  for (let i = 0; i < count; i++) await store.append(`ci-bench-${i}`, [events[i]!], 'no_stream');
  const elapsed = nowMs() - start;
  await store.close();
  return (count / elapsed) * 1000;
}

/** Our event store with `writers` concurrent appenders: group commit shares each fsync. */
export async function oursBatched(dir: string, count: number, writers: number): Promise<number> {
  const store = new SqliteEventStore({
    filename: path.join(dir, `ours-batched-${randomUUID()}.db`),
    synchronous: 'full',
  });
  const events = Array.from({ length: count }, (_, i) => benchEvent(i));
  let next = 0;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < count) {
        const i = next++;
        await store.append(`ci-bench-${i}`, [events[i]!], 'no_stream');
      }
    }),
  );
  const elapsed = nowMs() - start;
  await store.close();
  return (count / elapsed) * 1000;
}

function rawDatabase(file: string) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (
    position INTEGER PRIMARY KEY, event_id TEXT NOT NULL, stream TEXT NOT NULL, revision INTEGER NOT NULL,
    type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL, recorded_ms INTEGER NOT NULL,
    UNIQUE (stream, revision))`);
  const insert = db.prepare(
    'INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at, recorded_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const row = (event: NewEvent, i: number) =>
    insert.run(
      event.id,
      `ci-bench-${i}`,
      1,
      event.type,
      JSON.stringify(event.data),
      JSON.stringify(event.metadata),
      event.recordedAt,
      Date.parse(event.recordedAt),
    );
  return { db, row };
}

/** The physical limit: raw better-sqlite3 inserts of the same rows, one transaction (fsync) each. */
export async function rawSingle(dir: string, count: number): Promise<number> {
  const { db, row } = rawDatabase(path.join(dir, `raw-single-${randomUUID()}.db`));
  const events = Array.from({ length: count }, (_, i) => benchEvent(i));
  const start = nowMs();
  for (let i = 0; i < count; i++) row(events[i]!, i);
  const elapsed = nowMs() - start;
  db.close();
  return (count / elapsed) * 1000;
}

/** Raw inserts of the same rows, `batch` rows per transaction. */
export async function rawBatched(dir: string, count: number, batch: number): Promise<number> {
  const { db, row } = rawDatabase(path.join(dir, `raw-batched-${randomUUID()}.db`));
  const events = Array.from({ length: count }, (_, i) => benchEvent(i));
  const insertBatch = db.transaction((from: number) => {
    for (let i = from; i < Math.min(count, from + batch); i++) row(events[i]!, i);
  });
  const start = nowMs();
  for (let from = 0; from < count; from += batch) insertBatch(from);
  const elapsed = nowMs() - start;
  db.close();
  return (count / elapsed) * 1000;
}
