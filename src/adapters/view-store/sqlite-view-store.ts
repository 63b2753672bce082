import Database from 'better-sqlite3';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { LeaseStore } from '../../ports/lease-store';
import type {
  CountQuery,
  CountRow,
  DocQuery,
  ProjectionCheckpoint,
  StoredView,
  ViewBatch,
  ViewBulkLoad,
  ViewDoc,
  ViewStore,
  ViewVersion,
  TemporalDoc,
} from '../../ports/view-store';
import { WAL_SIZE_LIMIT, cannotWrite } from '../sqlite-failures';
import { SqliteViewBulkLoad } from './sqlite-view-bulk-load';
import { SqliteViewTable } from './sqlite-view-tables';

export interface SqliteViewStoreOptions {
  /** A file path, or ':memory:' for tests. */
  readonly filename: string;
  /** The views to keep (their storage declarations). */
  readonly views: readonly StoredView[];
  /** Documents a bulk load (rebuild) holds in memory before inserting them; default 5,000. */
  readonly bulkLoadFlushSize?: number;
}

/**
 * The embedded view store. Each view is a table laid out from the view's
 * declaration (SqliteViewTable); nothing here knows one view from another. A
 * batch's writes and its checkpoints commit in one transaction, so a crash
 * never leaves a view ahead of or behind its checkpoint; writes are still
 * guarded by the kind's rule, as on every view store, so a replayed older
 * write changes nothing.
 */
const SCHEMA = `
  -- Positions of consumers other than projections (the relay); views resets leave them alone.
  CREATE TABLE IF NOT EXISTS consumer_checkpoints (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
  );

  CREATE TABLE IF NOT EXISTS projection_checkpoints (
    projection TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    position   INTEGER NOT NULL
  );

  -- Singleton roles (projections, relay) of the services sharing this data directory (LeaseStore).
  CREATE TABLE IF NOT EXISTS leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_ms INTEGER NOT NULL
  );

  -- The layout each view's table was created with (SqliteViewTable.signature).
  CREATE TABLE IF NOT EXISTS view_layouts (
    view      TEXT PRIMARY KEY,
    signature TEXT NOT NULL
  );

  -- Tables of the layout before views were declared generically: derived, so dropped.
  DROP TABLE IF EXISTS current_cis;
  DROP TABLE IF EXISTS ci_versions;
  DROP TABLE IF EXISTS change_feed;
`;

interface Row {
  _doc: string;
  _valid_from?: number;
  _valid_to?: number | null;
}

interface TableStatements {
  readonly upsert: Database.Statement;
  /** A current view's: the document replaced when no field changed (see SqliteViewTable.replaceDocument). */
  readonly replace: Database.Statement | undefined;
  readonly close: Database.Statement<[number, string | number, number]> | undefined;
  readonly state: Database.Statement<[string], Row>;
}

export class SqliteViewStore implements ViewStore, CheckpointStore, LeaseStore {
  readonly adapter = 'sqlite';
  private readonly db: Database.Database;
  private readonly tables = new Map<string, SqliteViewTable>();
  private readonly tableStatements = new Map<string, TableStatements>();
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly applyInTransaction: (batch: ViewBatch) => void;
  /**
   * A page's states in one read transaction: in WAL mode each statement run on
   * its own takes and releases the file's shared locks (about 4 µs of system
   * calls), once per CI and view without it.
   */
  private readonly loadStateInTransaction: (view: string, partitions: readonly string[]) => Map<string, ViewDoc[]>;
  /** Queries vary by which conditions are set; each shape is prepared once, per row form (see prepared). */
  private readonly preparedQueries = new Map<string, Database.Statement<unknown[], Row>>();
  private readonly bulkLoadFlushSize: number | undefined;

  constructor(options: SqliteViewStoreOptions) {
    this.bulkLoadFlushSize = options.bulkLoadFlushSize;
    for (const view of options.views) this.tables.set(view.name, new SqliteViewTable(view));
    this.db = openViews(options.filename, [...this.tables.values()]);
    this.statements = prepareStatements(this.db);
    for (const table of this.tables.values()) {
      this.tableStatements.set(table.name, {
        upsert: this.db.prepare(table.upsert()),
        replace: table.view.kind === 'current' ? this.db.prepare(table.replaceDocument()) : undefined,
        close: table.view.kind === 'temporal' ? this.db.prepare(table.closeVersion()) : undefined,
        state: this.db.prepare(table.stateQuery()),
      });
    }
    this.loadStateInTransaction = this.db.transaction((view: string, partitions: readonly string[]) =>
      this.readState(view, partitions),
    );
    this.applyInTransaction = this.db.transaction((batch: ViewBatch) => {
      for (const write of batch.writes) this.write(write.view, write.doc);
      for (const checkpoint of batch.checkpoints) {
        this.statements.saveCheckpoint.run(checkpoint.projection, checkpoint.version, checkpoint.position);
      }
    });
  }

  async readCheckpoints(): Promise<ProjectionCheckpoint[]> {
    return this.statements.checkpoints.all();
  }

  async resetView(view: string, version: number): Promise<void> {
    const table = this.table(view);
    this.db.transaction(() => {
      this.db.exec(`DELETE FROM ${table.table}`);
      this.statements.saveCheckpoint.run(view, version, 0);
    })();
  }

  async loadState(view: string, partitions: readonly string[]): Promise<Map<string, ViewDoc[]>> {
    return this.loadStateInTransaction(view, partitions);
  }

  async applyBatch(batch: ViewBatch): Promise<void> {
    this.applyInTransaction(batch);
  }

  private readState(view: string, partitions: readonly string[]): Map<string, ViewDoc[]> {
    const table = this.table(view);
    const { state } = this.tableStatements.get(view)!;
    const result = new Map<string, ViewDoc[]>();
    for (const partition of new Set(partitions)) {
      let docs = state.all(partition).map((row) => table.docOf(row));
      if (table.view.kind === 'temporal') docs = docs.filter((doc) => (doc as TemporalDoc).validTo === null);
      if (docs.length > 0) result.set(partition, docs);
    }
    return result;
  }

  private write(view: string, doc: ViewDoc): void {
    const table = this.table(view);
    const statements = this.tableStatements.get(view)!;
    if (statements.close) {
      const { validTo } = doc as TemporalDoc;
      // Closing a version only sets its validTo; the rest of a version never changes, so skip
      // re-serialising the document when the row is already there.
      if (
        validTo !== null &&
        statements.close.run(Date.parse(validTo), table.view.key(doc), doc.revision).changes > 0
      ) {
        return;
      }
    }
    const row = table.rowOf(doc);
    if (statements.replace && statements.replace.run(table.replaceParameters(row)).changes > 0) return;
    statements.upsert.run(row);
  }

  async startBulkLoad(views: readonly ViewVersion[]): Promise<ViewBulkLoad> {
    return SqliteViewBulkLoad.start(
      this.db,
      views.map((view) => ({ ...view, table: this.table(view.projection) })),
      (checkpoint) =>
        this.statements.saveCheckpoint.run(checkpoint.projection, checkpoint.version, checkpoint.position),
      this.bulkLoadFlushSize,
    );
  }

  async find<Doc extends ViewDoc>(view: string, query: DocQuery): Promise<Doc[]> {
    const table = this.table(view);
    const { sql, params } = table.select(query);
    return this.prepared(sql, 'objects')
      .all(...params)
      .map((row) => table.docOf(row) as Doc);
  }

  async findJson(view: string, query: DocQuery, members: readonly string[]): Promise<string[][]> {
    const table = this.table(view);
    const json = table.jsonMembers(members);
    const { sql, params } = table.select(query, json.columns);
    // Rows as arrays: the texts are taken by position.
    return (this.prepared(sql, 'arrays').all(...params) as unknown as unknown[][]).map(json.texts);
  }

  async findKeys(view: string, query: DocQuery): Promise<(string | number)[]> {
    const { sql, params } = this.table(view).select(query, '_key');
    return (this.prepared(sql, 'arrays').all(...params) as unknown as [string | number][]).map(([key]) => key);
  }

  async count(view: string, query: CountQuery): Promise<CountRow[]> {
    const { sql, params } = this.table(view).count(query);
    return this.prepared(sql, 'objects')
      .all(...params)
      .map((row) => {
        const values = row as unknown as Record<string, string | number | null>;
        return { group: query.groupBy.map((_, i) => values[`g${i}`] ?? null), count: Number(values['n']) };
      });
  }

  /**
   * A query's statement, prepared once: rows as objects (by column name) or
   * as arrays (by position). Cached by both, so one SQL text read the two
   * ways never gets the other's statement.
   */
  private prepared(sql: string, rows: 'objects' | 'arrays'): Database.Statement<unknown[], Row> {
    const key = `${rows} ${sql}`;
    let statement = this.preparedQueries.get(key);
    if (!statement) {
      statement = this.db.prepare<unknown[], Row>(sql);
      if (rows === 'arrays') statement.raw(true);
      this.preparedQueries.set(key, statement);
    }
    return statement;
  }

  async loadCheckpoint(name: string): Promise<number> {
    return this.statements.consumerCheckpoint.get(name)?.position ?? 0;
  }

  async saveCheckpoint(name: string, position: number): Promise<void> {
    this.statements.saveConsumerCheckpoint.run(name, position);
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    // One statement, so taking and renewing are atomic under the file's write lock.
    const now = Date.now();
    return this.statements.acquireLease.run(name, holder, now + ttlMs, now).changes > 0;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.statements.releaseLease.run(name, holder);
  }

  async leaseHolder(name: string): Promise<string | undefined> {
    return this.statements.leaseHolder.get(name)?.holder;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private table(view: string): SqliteViewTable {
    const table = this.tables.get(view);
    if (!table) throw new Error(`the view store keeps no view named "${view}"`);
    return table;
  }
}

/**
 * Opens the views read-write, creating each view's table and indexes; a table
 * whose layout changed is dropped and its checkpoint removed, so the runner
 * rebuilds it from the log. Where the disk is full or read-only, opens them
 * read-only (reads go on; the projections, which write, report the failure).
 */
function openViews(filename: string, tables: readonly SqliteViewTable[]): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(filename);
    db.pragma('journal_mode = WAL');
    // Views are rebuilt from the log, so a lost last commit costs a replay, not data.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // Projection batches touch one row per CI in each view: a page cache that holds the hot
    // B-tree levels (64 MiB, bounded) and fewer WAL checkpoints make rebuilds several times faster.
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    db.exec(SCHEMA);
    const opened = db;
    opened.transaction(() => {
      for (const table of tables) prepareTable(opened, table);
    })();
    return db;
  } catch (error) {
    db?.close();
    if (filename === ':memory:' || !cannotWrite(error)) throw error;
    try {
      const readOnly = new Database(filename, { readonly: true, fileMustExist: true });
      readOnly.pragma('busy_timeout = 5000');
      return readOnly;
    } catch {
      throw error; // the read-write failure says more (a directory, a missing path, a full disk)
    }
  }
}

function prepareTable(db: Database.Database, table: SqliteViewTable): void {
  const signature = table.signature();
  const stored = db.prepare<[string], { signature: string }>('SELECT signature FROM view_layouts WHERE view = ?');
  if (stored.get(table.name)?.signature !== signature) {
    for (const sql of table.dropIndexes()) db.exec(sql);
    db.exec(`DROP TABLE IF EXISTS ${table.table}`);
    db.prepare('DELETE FROM projection_checkpoints WHERE projection = ?').run(table.name);
    db.prepare(
      `INSERT INTO view_layouts (view, signature) VALUES (?, ?)
       ON CONFLICT (view) DO UPDATE SET signature = excluded.signature`,
    ).run(table.name, signature);
  }
  db.exec(table.createTable());
  for (const sql of table.createIndexes()) db.exec(sql);
}

function prepareStatements(db: Database.Database) {
  return {
    checkpoints: db.prepare<[], ProjectionCheckpoint>(
      'SELECT projection, version, position FROM projection_checkpoints',
    ),
    saveCheckpoint: db.prepare<[string, number, number]>(
      `INSERT INTO projection_checkpoints (projection, version, position) VALUES (?, ?, ?)
       ON CONFLICT (projection) DO UPDATE SET version = excluded.version, position = excluded.position`,
    ),
    consumerCheckpoint: db.prepare<[string], { position: number }>(
      'SELECT position FROM consumer_checkpoints WHERE name = ?',
    ),
    saveConsumerCheckpoint: db.prepare<[string, number]>(
      `INSERT INTO consumer_checkpoints (name, position) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position`,
    ),
    acquireLease: db.prepare<[string, string, number, number]>(
      `INSERT INTO leases (name, holder, expires_ms) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms
       WHERE leases.holder = excluded.holder OR leases.expires_ms <= ?`,
    ),
    releaseLease: db.prepare<[string, string]>('DELETE FROM leases WHERE name = ? AND holder = ?'),
    leaseHolder: db.prepare<[string], { holder: string }>('SELECT holder FROM leases WHERE name = ?'),
  };
}
