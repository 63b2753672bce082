import type { StoredView, ViewWrite, PreparedViewRows } from '../../ports/view-store';
import { SqliteViewTable } from './sqlite-view-tables';

/**
 * The rows a bulk load inserts, made from view writes: writes to the same row
 * coalesced in memory first (a CI's current document once rather than once
 * per event, a version once, already closed), then each document turned into
 * its row's values. Needs no database, so a rebuild's worker threads prepare
 * rows in parallel and the one connection that writes only inserts them.
 */
export class SqliteViewBulkRows {
  private readonly pending = new Map<string, Map<string | number, ViewWrite>>();
  private pendingCount = 0;
  private readonly tables: Map<string, SqliteViewTable>;

  constructor(views: readonly StoredView[] | ReadonlyMap<string, SqliteViewTable>) {
    this.tables =
      views instanceof Map
        ? new Map(views)
        : new Map((views as readonly StoredView[]).map((view) => [view.name, new SqliteViewTable(view)]));
  }

  /** Rows held, once coalesced. */
  get size(): number {
    return this.pendingCount;
  }

  add(writes: readonly ViewWrite[]): void {
    for (const write of writes) {
      let byRow = this.pending.get(write.view);
      if (!byRow) {
        byRow = new Map();
        this.pending.set(write.view, byRow);
      }
      const before = byRow.size;
      byRow.set(this.tableOf(write.view).rowKey(write.doc), write);
      this.pendingCount += byRow.size - before;
    }
  }

  clear(): void {
    this.pending.clear();
    this.pendingCount = 0;
  }

  /** The held rows' values, per view, in insert column order; holds nothing after. */
  take(): PreparedViewRows {
    const prepared: [string, unknown[][]][] = [];
    for (const [view, writes] of this.pending) {
      const table = this.tableOf(view);
      const rows: unknown[][] = [];
      for (const write of writes.values()) rows.push(table.rowOf(write.doc));
      prepared.push([view, rows]);
    }
    this.clear();
    return prepared;
  }

  private tableOf(view: string): SqliteViewTable {
    const table = this.tables.get(view);
    if (!table) throw new Error(`the bulk load does not load view "${view}"`);
    return table;
  }
}
