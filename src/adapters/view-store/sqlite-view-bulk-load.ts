import type Database from 'better-sqlite3';
import type {
  PreparedViewRows,
  ProjectionCheckpoint,
  ViewBulkLoad,
  ViewVersion,
  ViewWrite,
} from '../../ports/view-store';
import { SqliteViewBulkRows } from './sqlite-view-bulk-rows';
import type { SqliteViewTable } from './sqlite-view-tables';

/** Documents held before they are inserted in one transaction (bounds the load's memory). */
export const DEFAULT_BULK_FLUSH_SIZE = 5_000;
/** The page cache while loading, in KiB (negative: SQLite's unit for a size rather than pages). */
const BULK_CACHE_SIZE = -16_384;

export interface BulkLoadedView extends ViewVersion {
  readonly table: SqliteViewTable;
}

/**
 * Loads emptied views with plain inserts, the way SQLite loads fastest:
 * secondary indexes dropped and built once at the end, no upsert guards
 * (nothing else writes), and writes to the same row coalesced in memory
 * first (SqliteViewBulkRows). Rows may also come prepared by other threads
 * (writePrepared): a parallel rebuild's workers project and serialise, and
 * this connection, the only writer, inserts.
 *
 * Checkpoints stay at 0 until `finish`, so a load cut short by a crash is
 * redone from the start by the next rebuild or catch-up; every row it left
 * is one the upserts of that catch-up reproduce or replace.
 */
export class SqliteViewBulkLoad implements ViewBulkLoad {
  private readonly rows: SqliteViewBulkRows;
  /** The connection's own page cache size, restored when the load ends. */
  private readonly cacheSize: number;
  private readonly inserts: Map<string, Database.Statement>;
  private readonly insertInTransaction: (prepared: PreparedViewRows) => void;

  private constructor(
    private readonly db: Database.Database,
    private readonly views: readonly BulkLoadedView[],
    private readonly saveCheckpoint: (checkpoint: ProjectionCheckpoint) => void,
    private readonly flushSize: number,
  ) {
    this.cacheSize = db.pragma('cache_size', { simple: true }) as number;
    // OR REPLACE: a row written in an earlier flush (a CI spanning two) is replaced, as an upsert would.
    this.inserts = new Map(views.map((view) => [view.projection, db.prepare(view.table.insertOrReplace())]));
    this.rows = new SqliteViewBulkRows(new Map(views.map((view) => [view.projection, view.table])));
    this.insertInTransaction = db.transaction((prepared: PreparedViewRows) => {
      for (const [view, rows] of prepared) {
        const insert = this.inserts.get(view);
        if (!insert) throw new Error(`the bulk load does not load view "${view}"`);
        for (const row of rows) insert.run(row);
      }
    });
  }

  /** Empties the views, sets their checkpoints to 0 and drops their secondary indexes. */
  static start(
    db: Database.Database,
    views: readonly BulkLoadedView[],
    saveCheckpoint: (checkpoint: ProjectionCheckpoint) => void,
    flushSize = DEFAULT_BULK_FLUSH_SIZE,
  ): SqliteViewBulkLoad {
    const load = new SqliteViewBulkLoad(db, views, saveCheckpoint, flushSize);
    // Inserts land at the right edge of each B-tree: a small page cache serves them as well as a large
    // one, and leaves the memory to the index builds at the end (their sorts use up to the cache size).
    db.pragma(`cache_size = ${BULK_CACHE_SIZE}`);
    db.transaction(() => {
      load.empty();
      for (const { table } of views) for (const sql of table.dropIndexes()) db.exec(sql);
    })();
    return load;
  }

  async write(writes: readonly ViewWrite[]): Promise<void> {
    this.rows.add(writes);
    if (this.rows.size >= this.flushSize) this.flush();
  }

  /** Inserts rows another thread prepared (SqliteViewBulkRows), in one transaction. */
  async writePrepared(prepared: PreparedViewRows): Promise<void> {
    this.insertInTransaction(prepared);
  }

  async finish(checkpoints: readonly ProjectionCheckpoint[]): Promise<void> {
    this.flush();
    this.db.transaction(() => {
      this.createIndexes();
      for (const checkpoint of checkpoints) this.saveCheckpoint(checkpoint);
    })();
    this.db.pragma(`cache_size = ${this.cacheSize}`);
  }

  async abort(): Promise<void> {
    this.rows.clear();
    this.db.transaction(() => {
      this.empty();
      this.createIndexes();
    })();
    this.db.pragma(`cache_size = ${this.cacheSize}`);
  }

  private flush(): void {
    if (this.rows.size > 0) this.insertInTransaction(this.rows.take());
  }

  private empty(): void {
    for (const { projection, version, table } of this.views) {
      this.db.exec(`DELETE FROM ${table.table}`);
      this.saveCheckpoint({ projection, version, position: 0 });
    }
  }

  private createIndexes(): void {
    for (const { table } of this.views) for (const sql of table.createIndexes()) this.db.exec(sql);
  }
}
