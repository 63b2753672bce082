import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore } from '../../src/adapters/event-store/sqlite-event-store';
import { verifyLog } from '../../src/application/verify-log';
import { eventStoreContract, newEvent, uniqueStream } from './event-store.contract';

eventStoreContract('SQLite (in memory)', async () => {
  const store = new SqliteEventStore({ filename: ':memory:' });
  return { store, cleanup: () => store.close() };
});

eventStoreContract('SQLite (file, fsync on commit)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cl-events-'));
  const store = new SqliteEventStore({ filename: path.join(dir, 'events.db'), synchronous: 'full' });
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteEventStore specifics', () => {
  it('opened read-only, reads the log and refuses appends', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cl-events-'));
    const filename = path.join(dir, 'events.db');
    const writer = new SqliteEventStore({ filename });
    try {
      await writer.append('s-1', [newEvent()], 'no_stream');
      const reader = new SqliteEventStore({ filename, readOnly: true });
      expect(await reader.readStream('s-1')).toHaveLength(1);
      expect(reader.writeStatus()).toEqual({ writable: false, reason: 'opened read-only, for reading' });
      await expect(reader.append('s-2', [newEvent()], 'no_stream')).rejects.toThrow(/accepts no writes/);
      await reader.close();
      expect(await writer.headPosition()).toBe(1);
    } finally {
      await writer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opened read-only, reads snapshots and milestones where the log has them, none where it was made before them, and saves none', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cl-events-'));
    const filename = path.join(dir, 'events.db');
    try {
      const writer = new SqliteEventStore({ filename });
      await writer.append('s-1', [newEvent()], 'no_stream');
      await writer.saveSnapshot('s-1', { revision: 1, state: { n: 1 } }, { milestone: true });
      await writer.saveSnapshot('s-1', { revision: 2, state: { n: 2 } });
      await writer.close();
      const reader = new SqliteEventStore({ filename, readOnly: true });
      expect(await reader.readSnapshot('s-1')).toEqual({ revision: 2, state: { n: 2 } });
      expect(await reader.findSnapshot('s-1', 1)).toEqual({ revision: 1, state: { n: 1 } });
      await reader.saveSnapshot('s-1', { revision: 3, state: { n: 3 } }, { milestone: true });
      expect(await reader.readSnapshot('s-1')).toEqual({ revision: 2, state: { n: 2 } });
      expect(await reader.findSnapshot('s-1', 3)).toEqual({ revision: 2, state: { n: 2 } });
      await reader.close();

      // A log from before milestones: the latest snapshot only, and a reader must not create their table.
      const old = new Database(filename);
      old.exec('DROP TABLE stream_snapshot_milestones');
      old.close();
      const beforeMilestones = new SqliteEventStore({ filename, readOnly: true });
      expect(await beforeMilestones.findSnapshot('s-1', 2)).toEqual({ revision: 2, state: { n: 2 } });
      expect(await beforeMilestones.findSnapshot('s-1', 1)).toBeUndefined();
      await beforeMilestones.close();

      // A log from before snapshots: no table, and a reader must not create one.
      const older = new Database(filename);
      older.exec('DROP TABLE stream_snapshots');
      older.close();
      const oldReader = new SqliteEventStore({ filename, readOnly: true });
      expect(await oldReader.readSnapshot('s-1')).toBeUndefined();
      expect(await oldReader.findSnapshot('s-1', 2)).toBeUndefined();
      expect(await oldReader.readStream('s-1')).toHaveLength(1);
      await oldReader.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("bounds its page cache as asked (a rebuild worker's reader), read-only or not, and refuses a bound that is not a positive integer", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cl-events-'));
    const filename = path.join(dir, 'events.db');
    // What SQLite holds for the connection: a negative cache_size is a size in KiB.
    const cacheSize = (store: SqliteEventStore) =>
      (store as unknown as { db: Database.Database }).db.pragma('cache_size', { simple: true });
    try {
      const writer = new SqliteEventStore({ filename });
      const bounded = new SqliteEventStore({ filename, cacheKiB: 512 });
      await writer.append('s-1', [newEvent()], 'no_stream');
      const reader = new SqliteEventStore({ filename, readOnly: true, cacheKiB: 2048 });
      expect(cacheSize(bounded)).toBe(-512);
      expect(cacheSize(reader)).toBe(-2048);
      expect(cacheSize(writer)).toBe(-16000); // SQLite's default, as better-sqlite3 builds it
      expect(await reader.readStream('s-1')).toHaveLength(1);
      for (const cacheKiB of [0, -5, 1.5, Number.NaN])
        expect(() => new SqliteEventStore({ filename, readOnly: true, cacheKiB })).toThrow(
          /cacheKiB must be a positive integer/,
        );
      await Promise.all([reader.close(), bounded.close(), writer.close()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('splits the streams up to a position into ranges of about as many events, at stream boundaries', async () => {
    const store = new SqliteEventStore({ filename: ':memory:' });
    try {
      // 40 streams of 1 to 4 events; readByStream visits them in name order.
      for (let i = 0; i < 40; i++)
        await store.append(
          `s-${String(i).padStart(2, '0')}`,
          Array.from({ length: 1 + (i % 4) }, newEvent),
          'no_stream',
        );
      const head = await store.headPosition();
      const splits = await store.streamSplits(head, 4);
      expect(splits).toHaveLength(3);
      expect([...splits].sort()).toEqual(splits);
      const events = await store.readByStream(head, undefined, 1000);
      const bounds = [undefined, ...splits, undefined];
      const sizes = bounds.slice(1).map((before, i) => {
        const from = bounds[i];
        return events.filter(
          (e) => (from === undefined || e.streamName >= from) && (before === undefined || e.streamName < before),
        ).length;
      });
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(events.length);
      for (const size of sizes) expect(Math.abs(size - events.length / 4)).toBeLessThanOrEqual(4);
      // Only what lies up to the position is split; one part needs no split; an empty log has none.
      expect(await store.streamSplits(head, 1)).toEqual([]);
      expect((await store.streamSplits(3, 2)).length).toBeLessThanOrEqual(1);
    } finally {
      await store.close();
    }
    const empty = new SqliteEventStore({ filename: ':memory:' });
    expect(await empty.streamSplits(0, 4)).toEqual([]);
    await empty.close();
  });

  it('keeps one hash chain when two processes append to one file, turn by turn', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cl-events-'));
    const filename = path.join(dir, 'events.db');
    // Two connections, as two service processes on one data directory have.
    const first = new SqliteEventStore({ filename });
    const second = new SqliteEventStore({ filename });
    try {
      for (let i = 0; i < 6; i++) {
        const writer = i % 2 === 0 ? first : second;
        await Promise.all([
          writer.append(uniqueStream('a'), [newEvent()], 'no_stream'),
          writer.append(uniqueStream('b'), [newEvent()], 'no_stream'),
        ]);
      }
      const report = await verifyLog(first);
      expect(report).toMatchObject({ ok: true, events: 12 });
    } finally {
      await first.close();
      await second.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps acknowledged appends across a close and reopen of the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cl-events-'));
    const filename = path.join(dir, 'events.db');
    try {
      const first = new SqliteEventStore({ filename });
      const stream = uniqueStream('durable');
      await first.append(stream, [newEvent(), newEvent()], 'no_stream');
      await first.close();
      const second = new SqliteEventStore({ filename });
      expect((await second.readStream(stream)).map((e) => e.revision)).toEqual([1, 2]);
      await expect(second.append(stream, [newEvent()], 2)).resolves.toMatchObject({ revision: 3 });
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('commits appends queued in the same tick together, failing only the conflicting one', async () => {
    const store = new SqliteEventStore({ filename: ':memory:' });
    const stream = uniqueStream('group');
    const appends = [
      store.append(stream, [newEvent()], 'no_stream'),
      store.append(uniqueStream('other'), [newEvent()], 'no_stream'),
      store.append(stream, [newEvent()], 'no_stream'), // loses: the first one created the stream
      store.append(stream, [newEvent()], 1),
    ];
    const results = await Promise.allSettled(appends);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([1, 2]);
    await store.close();
  });

  it('fails an append in a group alone, leaving none of its events and an unbroken chain', async () => {
    const store = new SqliteEventStore({ filename: ':memory:' });
    const circular: Record<string, unknown> = { ciId: 'x' };
    circular['self'] = circular; // cannot be serialised: the append fails at its event
    const [single, several] = [uniqueStream('single'), uniqueStream('several')];
    const results = await Promise.allSettled([
      store.append(uniqueStream('before'), [newEvent()], 'no_stream'),
      store.append(single, [newEvent({ data: circular })], 'no_stream'),
      // Its first event is written before its second fails: the append must leave neither.
      store.append(several, [newEvent(), newEvent({ data: circular })], 'no_stream'),
      store.append(uniqueStream('after'), [newEvent()], 'no_stream'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(await store.readStream(single)).toEqual([]);
    expect(await store.readStream(several)).toEqual([]);
    // The failed appends' events took no place in the chain: the last append follows the first.
    expect(await verifyLog(store)).toMatchObject({ ok: true, events: 2 });
    await expect(store.append(several, [newEvent(), newEvent()], 'no_stream')).resolves.toMatchObject({ revision: 2 });
    await store.close();
  });

  it('fails the whole group when the disk fills in the middle of it, writing none of its appends', async () => {
    const store = new SqliteEventStore({ filename: ':memory:' });
    await store.append(uniqueStream('first'), [newEvent()], 'no_stream');
    // The file may grow no more: SQLite then ends the whole transaction (SQLITE_FULL), not one statement.
    const db = (store as unknown as { db: { pragma(sql: string, options?: { simple: boolean }): unknown } }).db;
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
    const streams = [uniqueStream('a'), uniqueStream('big'), uniqueStream('c')];
    const results = await Promise.allSettled([
      store.append(streams[0]!, [newEvent()], 'no_stream'),
      store.append(streams[1]!, [newEvent({ data: { ciId: 'x', blob: 'x'.repeat(200_000) } })], 'no_stream'),
      store.append(streams[2]!, [newEvent()], 'no_stream'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/could not commit: SQLITE_FULL/);
    for (const stream of streams) expect(await store.readStream(stream)).toEqual([]);
    expect(store.writeStatus()).toMatchObject({ writable: false });
    expect(await verifyLog(store)).toMatchObject({ ok: true, events: 1 });
    // Room again: appends go on, chained to the last event that stands.
    db.pragma('max_page_count = 1000000');
    await expect(store.append(streams[2]!, [newEvent()], 'no_stream')).resolves.toMatchObject({ revision: 1 });
    expect(await verifyLog(store)).toMatchObject({ ok: true, events: 2 });
    await store.close();
  });

  it('commits appends still queued when closed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cl-events-'));
    const filename = path.join(dir, 'events.db');
    try {
      const store = new SqliteEventStore({ filename });
      const stream = uniqueStream('close');
      const pending = store.append(stream, [newEvent()], 'no_stream');
      await store.close();
      await expect(pending).resolves.toMatchObject({ revision: 1 });
      const reopened = new SqliteEventStore({ filename });
      expect(await reopened.readStream(stream)).toHaveLength(1);
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
