import type Database from 'better-sqlite3';
import type { StreamSnapshot } from '../../ports/event-store';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS stream_snapshots (
    stream   TEXT    PRIMARY KEY,
    revision INTEGER NOT NULL,
    state    TEXT    NOT NULL
  );
  CREATE TABLE IF NOT EXISTS stream_snapshot_milestones (
    stream   TEXT    NOT NULL,
    revision INTEGER NOT NULL,
    state    TEXT    NOT NULL,
    UNIQUE (stream, revision)
  );
`;

interface SnapshotRow {
  readonly revision: number;
  readonly state: string;
}

/**
 * Streams' snapshots (EventStore.readSnapshot / saveSnapshot / findSnapshot)
 * in tables of the log's file beside `events`: the latest per stream, and
 * the milestones, kept for good. Nothing that reads events reads these
 * tables, and the chain does not cover them: a snapshot is the writer's
 * cache, checked against the stream's head when it is used.
 *
 * The milestones have a rowid and a (stream, revision) index rather than
 * being clustered by that key: their inner pages would hold whole states.
 */
export class SqliteSnapshots {
  private readonly read: Database.Statement<[string], SnapshotRow> | undefined;
  private readonly milestonesNotAfter: Database.Statement<[string, number], SnapshotRow> | undefined;
  private readonly save: ((stream: string, snapshot: StreamSnapshot, milestone: boolean) => void) | undefined;

  constructor(db: Database.Database) {
    // A log opened read-only takes no writes: it reads the tables where the log has them and creates none.
    if (!db.readonly) db.exec(SCHEMA);
    const has = (table: string) =>
      db.readonly ? db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) : true;
    if (has('stream_snapshots'))
      this.read = db.prepare('SELECT revision, state FROM stream_snapshots WHERE stream = ?');
    if (has('stream_snapshot_milestones')) {
      this.milestonesNotAfter = db.prepare(
        `SELECT revision, state FROM stream_snapshot_milestones WHERE stream = ? AND revision <= ?
         ORDER BY revision DESC`,
      );
    }
    if (db.readonly) return;
    const latest = db.prepare<[string, number, string]>(
      `INSERT INTO stream_snapshots (stream, revision, state) VALUES (?, ?, ?)
       ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision, state = excluded.state
       WHERE excluded.revision > stream_snapshots.revision`,
    );
    const milestone = db.prepare<[string, number, string]>(
      'INSERT OR IGNORE INTO stream_snapshot_milestones (stream, revision, state) VALUES (?, ?, ?)',
    );
    this.save = db.transaction((stream: string, snapshot: StreamSnapshot, isMilestone: boolean) => {
      const state = JSON.stringify(snapshot.state);
      latest.run(stream, snapshot.revision, state);
      if (isMilestone) milestone.run(stream, snapshot.revision, state);
    });
  }

  get(streamName: string): StreamSnapshot | undefined {
    const row = this.read?.get(streamName);
    return row && snapshotOf(row);
  }

  /** The latest where it is not past `notAfter` and accepted, else the milestones newest first. */
  find(
    streamName: string,
    notAfter: number,
    accept: (snapshot: StreamSnapshot) => boolean,
  ): StreamSnapshot | undefined {
    const latest = this.get(streamName);
    if (latest && latest.revision <= notAfter && accept(latest)) return latest;
    for (const row of this.milestonesNotAfter?.iterate(streamName, notAfter) ?? []) {
      const milestone = snapshotOf(row);
      if (accept(milestone)) return milestone;
    }
    return undefined;
  }

  /** Keeps the newer of the stored and the given snapshot as the latest (two processes may save one each). */
  put(streamName: string, snapshot: StreamSnapshot, milestone = false): void {
    this.save?.(streamName, snapshot, milestone);
  }
}

function snapshotOf(row: SnapshotRow): StreamSnapshot {
  return { revision: row.revision, state: JSON.parse(row.state) as unknown };
}
