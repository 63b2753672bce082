import type Database from 'better-sqlite3';
import type { ViewName } from '../../../projections';
import type { ProjectionCheckpoint, ViewBulkLoad, ViewVersion, ViewWrite } from '../../ports/view-store';
import { COLUMNS, SECONDARY_INDEXES, TABLES, createSecondaryIndexes, keyOf, rowOf } from './sqlite-view-rows';

/** Documents held before they are inserted in one transaction (bounds the load's memory). */
export const DEFAULT_BULK_FLUSH_SIZE = 5_000;
/** The page cache while loading, in KiB (negative: SQLite's unit for a size rather than pages). */
const BULK_CACHE_SIZE = -16_384;

/**
 * Loads emptied views with plain inserts, the way SQLite loads fastest:
 * secondary indexes dropped and built once at the end, no upsert guards
 * (nothing else writes), and writes to the same row coalesced in memory
 * first: a CI's current document is written once rather than once per
 * event, and a version once, already closed, rather than opened then closed.
 *
 * Checkpoints stay at 0 until `finish`, so a load cut short by a crash is
 * redone from the start by the next rebuild or catch-up; every row it left
 * is one the upserts of that catch-up reproduce or replace.
 */
export class SqliteViewBulkLoad implements ViewBulkLoad {
  private readonly pending = new Map<ViewName, Map<string | number, ViewWrite>>();
  private pendingCount = 0;
  /** The connection's own page cache size, restored when the load ends. */
  private readonly cacheSize: number;
  private readonly inserts: Record<ViewName, Database.Statement>;
  private readonly flushInTransaction: () => void;

  private constructor(
    private readonly db: Database.Database,
    private readonly views: readonly ViewVersion[],
    private readonly saveCheckpoint: (checkpoint: ProjectionCheckpoint) => void,
    private readonly flushSize: number,
  ) {
    this.cacheSize = db.pragma('cache_size', { simple: true }) as number;
    this.inserts = Object.fromEntries(
      (Object.keys(TABLES) as ViewName[]).map((view) => [
        view,
        db.prepare(
          // OR REPLACE: a row written in an earlier flush (a CI spanning two) is replaced, as an upsert would.
          `INSERT OR REPLACE INTO ${TABLES[view]} (${COLUMNS[view].join(', ')})
           VALUES (${COLUMNS[view].map(() => '?').join(', ')})`,
        ),
      ]),
    ) as Record<ViewName, Database.Statement>;
    this.flushInTransaction = db.transaction(() => {
      for (const [view, writes] of this.pending) {
        const insert = this.inserts[view];
        for (const write of writes.values()) insert.run(rowOf(write));
      }
    });
  }

  /** Empties the views, sets their checkpoints to 0 and drops their secondary indexes. */
  static start(
    db: Database.Database,
    views: readonly ViewVersion[],
    saveCheckpoint: (checkpoint: ProjectionCheckpoint) => void,
    flushSize = DEFAULT_BULK_FLUSH_SIZE,
  ): SqliteViewBulkLoad {
    const load = new SqliteViewBulkLoad(db, views, saveCheckpoint, flushSize);
    // Inserts land at the right edge of each B-tree: a small page cache serves them as well as a large
    // one, and leaves the memory to the index builds at the end (their sorts use up to the cache size).
    db.pragma(`cache_size = ${BULK_CACHE_SIZE}`);
    db.transaction(() => {
      load.empty();
      for (const index of load.indexNames()) db.exec(`DROP INDEX IF EXISTS ${index}`);
    })();
    return load;
  }

  async write(writes: readonly ViewWrite[]): Promise<void> {
    for (const write of writes) {
      let byKey = this.pending.get(write.view);
      if (!byKey) {
        byKey = new Map();
        this.pending.set(write.view, byKey);
      }
      const before = byKey.size;
      byKey.set(keyOf(write), write);
      this.pendingCount += byKey.size - before;
    }
    if (this.pendingCount >= this.flushSize) this.flush();
  }

  async finish(checkpoints: readonly ProjectionCheckpoint[]): Promise<void> {
    this.flush();
    this.db.transaction(() => {
      this.db.exec(createSecondaryIndexes());
      for (const checkpoint of checkpoints) this.saveCheckpoint(checkpoint);
    })();
    this.db.pragma(`cache_size = ${this.cacheSize}`);
  }

  async abort(): Promise<void> {
    this.pending.clear();
    this.pendingCount = 0;
    this.db.transaction(() => {
      this.empty();
      this.db.exec(createSecondaryIndexes());
    })();
    this.db.pragma(`cache_size = ${this.cacheSize}`);
  }

  private flush(): void {
    if (this.pendingCount === 0) return;
    this.flushInTransaction();
    this.pending.clear();
    this.pendingCount = 0;
  }

  private empty(): void {
    for (const { projection, version } of this.views) {
      this.db.exec(`DELETE FROM ${TABLES[projection]}`);
      this.saveCheckpoint({ projection, version, position: 0 });
    }
  }

  /** The secondary indexes on the loaded views' tables (a view not loaded keeps its own). */
  private indexNames(): string[] {
    const tables = new Set(this.views.map((view) => TABLES[view.projection]));
    return SECONDARY_INDEXES.filter((index) => tables.has(index.table)).map((index) => index.name);
  }
}
