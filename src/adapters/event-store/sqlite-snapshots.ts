import type Database from 'better-sqlite3';
import type { StreamSnapshot } from '../../ports/event-store';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS stream_snapshots (
    stream   TEXT    PRIMARY KEY,
    revision INTEGER NOT NULL,
    state    TEXT    NOT NULL
  );
`;

/**
 * Streams' snapshots (EventStore.readSnapshot / saveSnapshot) in a table of
 * the log's file beside `events`, one row per stream. Nothing that reads
 * events reads this table, and the chain does not cover it: a snapshot is
 * the writer's cache, checked against the stream's head when it is used.
 */
export class SqliteSnapshots {
  private readonly read: Database.Statement<[string], { revision: number; state: string }> | undefined;
  private readonly save: Database.Statement<[string, number, string]> | undefined;

  constructor(db: Database.Database) {
    // A log opened read-only takes no writes, so it needs no snapshots; one made before them has no table.
    if (!db.readonly) db.exec(SCHEMA);
    else if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stream_snapshots'").get())
      return;
    this.read = db.prepare('SELECT revision, state FROM stream_snapshots WHERE stream = ?');
    this.save = db.readonly
      ? undefined
      : db.prepare(
          `INSERT INTO stream_snapshots (stream, revision, state) VALUES (?, ?, ?)
           ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision, state = excluded.state
           WHERE excluded.revision > stream_snapshots.revision`,
        );
  }

  get(streamName: string): StreamSnapshot | undefined {
    const row = this.read?.get(streamName);
    return row && { revision: row.revision, state: JSON.parse(row.state) as unknown };
  }

  /** Keeps the newer of the stored and the given snapshot (two processes may save one each). */
  put(streamName: string, snapshot: StreamSnapshot): void {
    this.save?.run(streamName, snapshot.revision, JSON.stringify(snapshot.state));
  }
}
