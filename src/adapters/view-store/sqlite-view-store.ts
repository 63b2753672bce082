import Database from 'better-sqlite3';
import type { ChangeFeedEntry, CiVersion, CurrentCi, ViewDocuments, ViewName } from '../../../projections';
import type {
  ChangeQuery,
  CiListQuery,
  ProjectionCheckpoint,
  ViewBatch,
  ViewBulkLoad,
  ViewStore,
  ViewVersion,
  ViewWrite,
} from '../../ports/view-store';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import { SqliteViewBulkLoad } from './sqlite-view-bulk-load';
import { WAL_SIZE_LIMIT, cannotWrite } from '../sqlite-failures';
import { createSecondaryIndexes, rowOf, TABLES, type StoredVersion } from './sqlite-view-rows';

export interface SqliteViewStoreOptions {
  /** A file path, or ':memory:' for tests. */
  readonly filename: string;
  /** Documents a bulk load (rebuild) holds in memory before inserting them; default 5,000. */
  readonly bulkLoadFlushSize?: number;
}

/**
 * The embedded view store. Each view is a table holding the document as JSON
 * plus the columns its queries filter and sort on; times are stored as ms
 * since the epoch so range queries use integer indexes. A batch's writes and
 * its checkpoints commit in one transaction, so a crash never leaves a view
 * ahead of or behind its checkpoint; writes are still guarded by revision, as
 * on every view store, so a replayed older write changes nothing.
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

  CREATE TABLE IF NOT EXISTS current_cis (
    ci_id    TEXT PRIMARY KEY,
    type     TEXT NOT NULL,
    status   TEXT NOT NULL,
    revision INTEGER NOT NULL,
    doc      TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE IF NOT EXISTS ci_versions (
    ci_id      TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    valid_from INTEGER NOT NULL,
    valid_to   INTEGER,
    type       TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    doc        TEXT    NOT NULL,
    PRIMARY KEY (ci_id, revision)
  ) WITHOUT ROWID;

  CREATE TABLE IF NOT EXISTS change_feed (
    position    INTEGER PRIMARY KEY,
    ci_id       TEXT    NOT NULL,
    ci_type     TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    event_type  TEXT    NOT NULL,
    recorded_ms INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    change_ref  TEXT,
    doc         TEXT    NOT NULL
  );
`;

interface VersionRow {
  valid_from: number;
  valid_to: number | null;
  doc: string;
}

/**
 * Opens the views read-write; where the disk is full or read-only, opens them
 * read-only (reads go on; the projections, which write, report the failure).
 */
function openViews(filename: string): Database.Database {
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
    db.exec(createSecondaryIndexes());
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

export class SqliteViewStore implements ViewStore, CheckpointStore {
  readonly adapter = 'sqlite';
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly applyInTransaction: (batch: ViewBatch) => void;
  /** Filtered queries vary by which filters are set; each shape is prepared once. */
  private readonly preparedQueries = new Map<string, Database.Statement<unknown[], unknown>>();

  private readonly bulkLoadFlushSize: number | undefined;

  constructor(options: SqliteViewStoreOptions) {
    this.bulkLoadFlushSize = options.bulkLoadFlushSize;
    this.db = openViews(options.filename);
    this.statements = prepareStatements(this.db);
    this.applyInTransaction = this.db.transaction((batch: ViewBatch) => {
      for (const write of batch.writes) this.write(write);
      for (const checkpoint of batch.checkpoints) {
        this.statements.saveCheckpoint.run(checkpoint.projection, checkpoint.version, checkpoint.position);
      }
    });
  }

  async readCheckpoints(): Promise<ProjectionCheckpoint[]> {
    return this.statements.checkpoints.all().map((row) => ({
      projection: row.projection as ViewName,
      version: row.version,
      position: row.position,
    }));
  }

  async resetView(view: ViewName, version: number): Promise<void> {
    this.db.transaction(() => {
      this.db.exec(`DELETE FROM ${TABLES[view]}`);
      this.statements.saveCheckpoint.run(view, version, 0);
    })();
  }

  async loadLatest<Name extends ViewName>(
    view: Name,
    ciIds: readonly string[],
  ): Promise<Map<string, ViewDocuments[Name]>> {
    const latest = new Map<string, ViewDocuments[Name]>();
    for (const ciId of new Set(ciIds)) {
      const doc = this.loadLatestOne(view, ciId);
      if (doc) latest.set(ciId, doc as ViewDocuments[Name]);
    }
    return latest;
  }

  private loadLatestOne(view: ViewName, ciId: string): ViewDocuments[ViewName] | undefined {
    switch (view) {
      case 'currentCis':
        return parseDoc<CurrentCi>(this.statements.currentCi.get(ciId));
      case 'ciVersions': {
        const row = this.statements.latestVersion.get(ciId);
        return row && toVersion(row);
      }
      case 'changeFeed':
        return parseDoc<ChangeFeedEntry>(this.statements.latestChange.get(ciId));
    }
  }

  async applyBatch(batch: ViewBatch): Promise<void> {
    this.applyInTransaction(batch);
  }

  private write(write: ViewWrite): void {
    switch (write.view) {
      case 'currentCis':
        this.statements.upsertCurrent.run(rowOf(write));
        return;
      case 'ciVersions': {
        const { ciId, revision, validTo } = write.doc;
        // Closing a version only sets its validTo; the rest of a version never changes, so skip
        // re-serialising the document when the row is already there.
        if (validTo !== null && this.statements.closeVersion.run(Date.parse(validTo), ciId, revision).changes > 0) {
          return;
        }
        this.statements.upsertVersion.run(rowOf(write));
        return;
      }
      case 'changeFeed':
        this.statements.upsertChange.run(rowOf(write));
        return;
    }
  }

  async startBulkLoad(views: readonly ViewVersion[]): Promise<ViewBulkLoad> {
    return SqliteViewBulkLoad.start(
      this.db,
      views,
      (checkpoint) =>
        this.statements.saveCheckpoint.run(checkpoint.projection, checkpoint.version, checkpoint.position),
      this.bulkLoadFlushSize,
    );
  }

  async getCurrentCi(ciId: string): Promise<CurrentCi | undefined> {
    return parseDoc<CurrentCi>(this.statements.currentCi.get(ciId));
  }

  async listCurrentCis(query: CiListQuery): Promise<CurrentCi[]> {
    const { where, params } = ciFilter(query);
    const rows = this.query<{ doc: string }>(`SELECT doc FROM current_cis WHERE ${where} ORDER BY ci_id LIMIT ?`, [
      ...params,
      query.limit,
    ]);
    return rows.map((row) => JSON.parse(row.doc) as CurrentCi);
  }

  async getCiVersionAt(ciId: string, at: number): Promise<CiVersion | undefined> {
    const row = this.statements.versionAt.get(ciId, at);
    if (!row || (row.valid_to !== null && row.valid_to <= at)) return undefined;
    return toVersion(row);
  }

  async getCiVersion(ciId: string, revision: number): Promise<CiVersion | undefined> {
    const row = this.statements.versionByRevision.get(ciId, revision);
    return row && toVersion(row);
  }

  async listCiVersionsAt(at: number, query: CiListQuery): Promise<CiVersion[]> {
    const { where, params } = ciFilter(query);
    // Walks ci_versions in (ci_id, valid_from) order and keeps the one version
    // per CI whose validity window contains `at`.
    const rows = this.query<VersionRow>(
      `SELECT valid_from, valid_to, doc FROM ci_versions INDEXED BY ci_versions_as_of
       WHERE ${where} AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)
       ORDER BY ci_id LIMIT ?`,
      [...params, at, at, query.limit],
    );
    return rows.map(toVersion);
  }

  async listChanges(query: ChangeQuery): Promise<ChangeFeedEntry[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      clauses.push(clause);
      params.push(value);
    };
    if (query.beforePosition !== undefined) add('position < ?', query.beforePosition);
    if (query.afterPosition !== undefined) add('position > ?', query.afterPosition);
    if (query.since !== undefined) add('recorded_ms >= ?', query.since);
    if (query.until !== undefined) add('recorded_ms <= ?', query.until);
    if (query.ciId !== undefined) add('ci_id = ?', query.ciId);
    if (query.ciType !== undefined) add('ci_type = ?', query.ciType);
    if (query.eventType !== undefined) add('event_type = ?', query.eventType);
    if (query.actor !== undefined) add('actor = ?', query.actor);
    if (query.changeRef !== undefined) add('change_ref = ?', query.changeRef);
    const where = clauses.length > 0 ? clauses.join(' AND ') : '1';
    const rows = this.query<{ doc: string }>(
      `SELECT doc FROM change_feed WHERE ${where} ORDER BY position ${query.order === 'oldest-first' ? 'ASC' : 'DESC'} LIMIT ?`,
      [...params, query.limit],
    );
    return rows.map((row) => JSON.parse(row.doc) as ChangeFeedEntry);
  }

  private query<Row>(sql: string, params: unknown[]): Row[] {
    let statement = this.preparedQueries.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[], unknown>(sql);
      this.preparedQueries.set(sql, statement);
    }
    return statement.all(...params) as Row[];
  }

  async loadCheckpoint(name: string): Promise<number> {
    return this.statements.consumerCheckpoint.get(name)?.position ?? 0;
  }

  async saveCheckpoint(name: string, position: number): Promise<void> {
    this.statements.saveConsumerCheckpoint.run(name, position);
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function ciFilter(query: CiListQuery): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (query.afterCiId !== undefined) {
    clauses.push('ci_id > ?');
    params.push(query.afterCiId);
  }
  if (query.type !== undefined) {
    clauses.push('type = ?');
    params.push(query.type);
  }
  if (query.status !== undefined) {
    clauses.push('status = ?');
    params.push(query.status);
  } else if (!query.includeRetired) {
    clauses.push("status <> 'retired'");
  }
  return { where: clauses.length > 0 ? clauses.join(' AND ') : '1', params };
}

function parseDoc<T>(row: { doc: string } | undefined): T | undefined {
  return row ? (JSON.parse(row.doc) as T) : undefined;
}

function toVersion(row: VersionRow): CiVersion {
  const stored = JSON.parse(row.doc) as StoredVersion;
  return {
    ...stored,
    validFrom: new Date(row.valid_from).toISOString(),
    validTo: row.valid_to === null ? null : new Date(row.valid_to).toISOString(),
  };
}

function prepareStatements(db: Database.Database) {
  return {
    checkpoints: db.prepare<[], { projection: string; version: number; position: number }>(
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
    currentCi: db.prepare<[string], { doc: string }>('SELECT doc FROM current_cis WHERE ci_id = ?'),
    upsertCurrent: db.prepare(
      `INSERT INTO current_cis (ci_id, type, status, revision, doc) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (ci_id) DO UPDATE SET type = excluded.type, status = excluded.status,
         revision = excluded.revision, doc = excluded.doc
       WHERE excluded.revision >= current_cis.revision`,
    ),
    latestVersion: db.prepare<[string], VersionRow>(
      'SELECT valid_from, valid_to, doc FROM ci_versions WHERE ci_id = ? ORDER BY revision DESC LIMIT 1',
    ),
    versionAt: db.prepare<[string, number], VersionRow>(
      `SELECT valid_from, valid_to, doc FROM ci_versions INDEXED BY ci_versions_as_of
       WHERE ci_id = ? AND valid_from <= ? ORDER BY valid_from DESC LIMIT 1`,
    ),
    versionByRevision: db.prepare<[string, number], VersionRow>(
      'SELECT valid_from, valid_to, doc FROM ci_versions WHERE ci_id = ? AND revision = ?',
    ),
    closeVersion: db.prepare<[number, string, number]>(
      'UPDATE ci_versions SET valid_to = ? WHERE ci_id = ? AND revision = ?',
    ),
    upsertVersion: db.prepare(
      `INSERT INTO ci_versions (ci_id, revision, valid_from, valid_to, type, status, doc) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (ci_id, revision) DO UPDATE SET valid_from = excluded.valid_from, valid_to = excluded.valid_to,
         type = excluded.type, status = excluded.status, doc = excluded.doc
       WHERE excluded.valid_to IS NOT NULL OR ci_versions.valid_to IS NULL`,
    ),
    latestChange: db.prepare<[string], { doc: string }>(
      'SELECT doc FROM change_feed WHERE ci_id = ? ORDER BY position DESC LIMIT 1',
    ),
    upsertChange: db.prepare(
      `INSERT INTO change_feed (position, ci_id, ci_type, revision, event_type, recorded_ms, actor, change_ref, doc)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (position) DO NOTHING`,
    ),
  };
}
