import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore } from '../../src/adapters/event-store/sqlite-event-store';
import { verifyLog } from '../../src/application/verify-log';
import { StoreUnavailableError } from '../../src/ports/event-store';
import { eventStoreContract, newEvent, uniqueStream } from './event-store.contract';

/** The thread runs compiled code: `npm test` builds first (pretest). */
const scriptPath = path.resolve(__dirname, '../../dist/src/log-commit-thread.js');
const describeBuilt = existsSync(scriptPath) ? describe : describe.skip;
if (!existsSync(scriptPath))
  console.warn(`SQLite commit thread tests skipped: ${scriptPath} is not built (npm run build; npm test builds first)`);

/** A log in a file of a directory of its own, committing on its thread. */
function threadedStore(): { store: SqliteEventStore; filename: string; cleanup(): Promise<void> } {
  const dir = mkdtempSync(path.join(tmpdir(), 'cl-events-thread-'));
  const filename = path.join(dir, 'events.db');
  const store = new SqliteEventStore({ filename, synchronous: 'full', commitThread: { scriptPath } });
  return {
    store,
    filename,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeBuilt('SqliteEventStore with a commit thread', () => {
  eventStoreContract('SQLite (file, commits on a thread of their own)', async () => threadedStore());

  it('commits the appends that arrive in one turn together, in their order, on one unbroken chain', async () => {
    const { store, cleanup } = threadedStore();
    const commits: number[] = [];
    store.observeCommits((events) => commits.push(events));
    try {
      const stream = uniqueStream('group');
      const results = await Promise.allSettled([
        store.append(stream, [newEvent()], 'no_stream'),
        store.append(uniqueStream('other'), [newEvent(), newEvent()], 'no_stream'),
        store.append(stream, [newEvent()], 'no_stream'), // loses: the first one created the stream
        store.append(stream, [newEvent()], 1),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(commits).toEqual([4]);
      expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([1, 2]);
      expect(await verifyLog(store)).toMatchObject({ ok: true, events: 4 });
    } finally {
      await cleanup();
    }
  });

  it('fails every append of a group whose transaction fails, says why, and writes again once it can', async () => {
    const { store, filename, cleanup } = threadedStore();
    try {
      await store.append(uniqueStream('first'), [newEvent()], 'no_stream');
      // Another connection makes every insert roll the whole transaction back, as a full disk would end it.
      const other = new Database(filename);
      other.exec(
        "CREATE TRIGGER refuse AFTER INSERT ON events BEGIN SELECT RAISE(ROLLBACK, 'refused by the test'); END",
      );
      const streams = [uniqueStream('a'), uniqueStream('b')];
      const results = await Promise.allSettled(streams.map((s) => store.append(s, [newEvent()], 'no_stream')));
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      const reason = (results[0] as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(StoreUnavailableError);
      expect(reason.message).toMatch(/^the event log could not commit: SQLITE_CONSTRAINT_TRIGGER: refused by the test/);
      expect(store.writeStatus()).toMatchObject({
        writable: false,
        reason: expect.stringMatching(/refused by the test/),
      });
      for (const stream of streams) expect(await store.readStream(stream)).toEqual([]);
      other.exec('DROP TRIGGER refuse');
      other.close();
      await expect(store.append(streams[0]!, [newEvent()], 'no_stream')).resolves.toMatchObject({ revision: 1 });
      expect(store.writeStatus()).toEqual({ writable: true });
      expect(await verifyLog(store)).toMatchObject({ ok: true, events: 2 });
    } finally {
      await cleanup();
    }
  });

  it('commits appends still queued when closed, and saves snapshots through the thread', async () => {
    const { store, filename, cleanup } = threadedStore();
    const stream = uniqueStream('close');
    try {
      await store.saveSnapshot(stream, { revision: 1, state: { n: 1 } }, { milestone: true });
      const pending = [store.append(stream, [newEvent()], 'no_stream'), store.append(stream, [newEvent()], 1)];
      await store.close();
      await expect(Promise.all(pending)).resolves.toMatchObject([{ revision: 1 }, { revision: 2 }]);
      const reopened = new SqliteEventStore({ filename });
      expect(await reopened.readStream(stream)).toHaveLength(2);
      expect(await reopened.findSnapshot(stream, 1)).toEqual({ revision: 1, state: { n: 1 } });
      await reopened.close();
    } finally {
      await cleanup();
    }
  });

  it('fails the appends that waited on a thread that stopped, says the write may have been recorded, and starts another for the next', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cl-events-thread-'));
    const broken = path.join(dir, 'broken-thread.js');
    writeFileSync(broken, "throw new Error('the thread broke');\n");
    const store = new SqliteEventStore({ filename: path.join(dir, 'events.db'), commitThread: { scriptPath: broken } });
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = (await store.append(uniqueStream('lost'), [newEvent()], 'no_stream').catch((e) => e)) as Error;
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(error.message).toMatch(/commit thread stopped \(the thread broke\).*may or may not have been recorded/);
        expect(store.writeStatus()).toMatchObject({ writable: false });
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused for a log in memory, which no second connection can open', () => {
    expect(() => new SqliteEventStore({ filename: ':memory:', commitThread: { scriptPath } })).toThrow(
      /a commit thread writes the log on a connection of its own: give the log a file/,
    );
  });
});
