import Database from 'better-sqlite3';
import { Subject, type Observable } from 'rxjs';
import {
  ConcurrencyError,
  StoreUnavailableError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamCursor,
  type ChainHead,
  type ChainUpgrade,
  type StreamHead,
  type StreamSnapshot,
  type WriteStatus,
} from '../../ports/event-store';
import { GENESIS_HASH, chainHashOfParts } from '../../ports/event-chain';
import { canonicalJson } from '../../ports/canonical-json';
import { WAL_SIZE_LIMIT, cannotWrite, describeSqliteError } from '../sqlite-failures';
import { addChainColumns, chainUnchainedEvents, readChainHead, readChainUpgrades } from './sqlite-chain';
import { SqliteSnapshots } from './sqlite-snapshots';

export interface SqliteEventStoreOptions {
  /** A file path, or ':memory:' for tests. */
  readonly filename: string;
  /**
   * 'full' (default): an acknowledged append is fsynced. 'normal': in WAL mode
   * survives a process crash but may lose the last commits on power loss.
   */
  readonly synchronous?: 'full' | 'normal';
  /** Most appends committed together in one transaction (group commit). */
  readonly maxGroupSize?: number;
  /**
   * Open an existing log for reading only: no schema, no chaining of older
   * events, appends refused. For readers beside the process that writes it
   * (a rebuild's worker threads), which must never take its write lock.
   */
  readonly readOnly?: boolean;
  /**
   * The connection's page cache, at most this many KiB (SQLite's default,
   * 16 MB, unless given): for readers that pass over the log once and need
   * few pages cached (a rebuild's worker threads).
   */
  readonly cacheKiB?: number;
}

interface PendingAppend {
  readonly streamName: string;
  readonly events: readonly NewEvent[];
  readonly expected: ExpectedRevision;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY,
    event_id    TEXT    NOT NULL,
    stream      TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    recorded_ms INTEGER NOT NULL,
    UNIQUE (stream, revision)
  );
`;

/**
 * The embedded event log: one SQLite table in WAL mode (and, beside it, the
 * writers' snapshots of long streams: SqliteSnapshots).
 *
 * Group commit: appends arriving in the same turn of the event loop are
 * written in one transaction and share one fsync; each append fails alone
 * (appendOne), so one conflicting append does not fail the others. An
 * append's promise resolves only after that commit.
 */
export class SqliteEventStore implements EventStore {
  readonly adapter = 'sqlite';
  /** Appends are serialised by the file's write lock, so every event follows the previous one of the whole log. */
  readonly chainScope = 'global';
  /** The hash of the newest event committed (or being committed in the open group). */
  private lastHash: string = GENESIS_HASH;
  /** Set when opening chained events recorded before chaining existed. */
  readonly upgrade: ChainUpgrade | undefined;
  private readonly db: Database.Database;
  private readonly appendedSubject = new Subject<number>();
  readonly appended$: Observable<number> = this.appendedSubject.asObservable();
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  private readonly maxGroupSize: number;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly snapshots: SqliteSnapshots;
  /** A nested better-sqlite3 transaction runs as a savepoint. */
  private readonly appendInSavepoint: (append: PendingAppend) => AppendResult;

  /** Set while appends are refused by the operator's side (opened read-only, disk full at start). */
  private refusal: string | undefined;
  /** The last commit's failure, until a commit succeeds. */
  private commitFailure: string | undefined;

  constructor(options: SqliteEventStoreOptions) {
    const { cacheKiB } = options;
    // Checked before the file is opened, so a refused bound leaves no connection behind.
    if (cacheKiB !== undefined && !(Number.isInteger(cacheKiB) && cacheKiB >= 1))
      throw new RangeError(`cacheKiB must be a positive integer, not ${cacheKiB}`);
    const opened = openLog(options);
    this.db = opened.db;
    // Negative: SQLite's unit for a size in KiB rather than a number of pages.
    if (cacheKiB !== undefined) this.db.pragma(`cache_size = ${-cacheKiB}`);
    this.refusal = opened.readOnlyReason;
    if (!this.db.readonly) {
      addChainColumns(this.db);
      this.upgrade = chainUnchainedEvents(this.db, new Date());
    }
    this.lastHash = readChainHead(this.db)?.hash ?? GENESIS_HASH;
    this.maxGroupSize = options.maxGroupSize ?? 512;
    this.statements = prepareStatements(this.db);
    this.snapshots = new SqliteSnapshots(this.db);
    this.appendInSavepoint = this.db.transaction((append: PendingAppend) => this.appendEvents(append));
  }

  writeStatus(): WriteStatus {
    const reason = this.refusal ?? this.commitFailure;
    return reason === undefined ? { writable: true } : { writable: false, reason };
  }

  /**
   * Refuses appends (503, nothing written) with `reason`, or accepts them
   * again with undefined. For the operator's side: a disk full at start-up.
   * A store opened read-only keeps refusing.
   */
  private commitListener: ((events: number) => void) | undefined;

  observeCommits(listener: (events: number) => void): void {
    this.commitListener = listener;
  }

  refuseWrites(reason: string | undefined): void {
    if (this.db.readonly) return;
    this.refusal = reason;
  }

  append(streamName: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    if (this.refusal !== undefined) {
      return Promise.reject(new StoreUnavailableError(`the event log accepts no writes: ${this.refusal}`));
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ streamName, events, expected, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const group = this.pending.splice(0, this.maxGroupSize);
    if (this.pending.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    const outcomes: Array<{ ok: true; result: AppendResult } | { ok: false; error: unknown }> = [];
    const chainBefore = this.lastHash;
    try {
      const commitGroup = this.db.transaction(() => {
        // Another process may have appended since (several services on one data directory): the
        // chain goes on from the head committed in the file, read under this write lock.
        this.lastHash = this.statements.chainHead.get()?.hash ?? GENESIS_HASH;
        for (const append of group) {
          const hashBefore = this.lastHash;
          try {
            outcomes.push({ ok: true, result: this.appendOne(append) });
          } catch (error) {
            // A full disk or an I/O error ends the whole transaction (SQLite rolls it back): the group
            // fails as one. The appends after it must not run, each committed alone outside it.
            if (!this.db.inTransaction) throw error;
            this.lastHash = hashBefore; // nothing of it was written (see appendOne): nor is its chain link
            outcomes.push({ ok: false, error });
          }
        }
        const newest = outcomes.findLast((outcome) => outcome.ok);
        if (newest?.ok) this.statements.saveChainHead.run(newest.result.position, this.lastHash);
      });
      commitGroup.immediate();
      this.commitFailure = undefined;
      if (this.commitListener) {
        const events = outcomes.reduce((sum, o, i) => sum + (o.ok ? group[i]!.events.length : 0), 0);
        if (events > 0) this.commitListener(events);
      }
    } catch (error) {
      this.lastHash = chainBefore;
      this.commitFailure = describeSqliteError(error);
      const failure = new StoreUnavailableError(`the event log could not commit: ${this.commitFailure}`, {
        cause: error,
      });
      for (const append of group) append.reject(failure);
      return;
    }
    let newest = 0;
    group.forEach((append, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) {
        newest = Math.max(newest, outcome.result.position);
        append.resolve(outcome.result);
      } else {
        append.reject(outcome.error);
      }
    });
    if (newest > 0) this.appendedSubject.next(newest);
  }

  /**
   * One append, alone in its group's fate: it fails without failing the others. An append of one
   * event checks the stream and serialises its event before it writes, and writes with one
   * statement, which SQLite undoes by itself if it fails: it needs no savepoint, two statements
   * more per append (about a tenth of an append's cost in a group). An append of several events
   * takes one, so that a failure after its first insert leaves none of them.
   */
  private appendOne(append: PendingAppend): AppendResult {
    return append.events.length === 1 ? this.appendEvents(append) : this.appendInSavepoint(append);
  }

  /** Checks the stream's revision, then inserts the events, each chained to the one before. */
  private appendEvents(append: PendingAppend): AppendResult {
    const head = this.statements.head.get(append.streamName);
    const actual = head?.revision ?? 0;
    const { expected } = append;
    const matches = expected === 'any' || (expected === 'no_stream' ? actual === 0 : expected === actual);
    if (!matches) throw new ConcurrencyError(append.streamName, expected, actual);
    let revision = actual;
    let position = 0;
    for (const event of append.events) {
      revision += 1;
      // Stored as canonical JSON, which is also what the chain hashes: each event is serialised once.
      const data = canonicalJson(event.data);
      const metadata = canonicalJson(event.metadata);
      const prevHash = this.lastHash;
      const hash = chainHashOfParts(prevHash, { ...event, streamName: append.streamName, revision }, data, metadata);
      const info = this.statements.insert.run(
        event.id,
        append.streamName,
        revision,
        event.type,
        data,
        metadata,
        event.recordedAt,
        Date.parse(event.recordedAt),
        prevHash,
        hash,
      );
      this.lastHash = hash;
      position = Number(info.lastInsertRowid);
    }
    return { revision, position };
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.guard(() =>
      this.statements.readStream
        .all(
          streamName,
          options.fromRevision ?? 1,
          options.toRevision ?? Number.MAX_SAFE_INTEGER,
          options.toRecordedAt ?? Number.MAX_SAFE_INTEGER,
        )
        .map(toRecordedEvent),
    );
  }

  async streamHead(streamName: string): Promise<StreamHead | undefined> {
    return this.guard(() => {
      const head = this.statements.head.get(streamName);
      return head && { revision: head.revision, position: head.position };
    });
  }

  async readSnapshot(streamName: string): Promise<StreamSnapshot | undefined> {
    return this.guard(() => this.snapshots.get(streamName));
  }

  async findSnapshot(
    streamName: string,
    notAfter: number,
    accept: (snapshot: StreamSnapshot) => boolean = () => true,
  ): Promise<StreamSnapshot | undefined> {
    return this.guard(() => this.snapshots.find(streamName, notAfter, accept));
  }

  /**
   * Written on its own, outside the group commit: a writer saves one at most
   * every hundred events of a stream. Where appends are refused (read-only,
   * a full disk) nothing is saved: the snapshot is a cache.
   */
  async saveSnapshot(
    streamName: string,
    snapshot: StreamSnapshot,
    options?: { readonly milestone?: boolean },
  ): Promise<void> {
    if (this.refusal !== undefined) return;
    try {
      this.snapshots.put(streamName, snapshot, options?.milestone);
    } catch (error) {
      throw new StoreUnavailableError(`the event log could not save a snapshot: ${describeSqliteError(error)}`, {
        cause: error,
      });
    }
  }

  async readAll(after: number, limit: number): Promise<RecordedEvent[]> {
    return this.guard(() => this.statements.readAll.all(after, limit).map(toRecordedEvent));
  }

  async readByStream(upTo: number, after: StreamCursor | undefined, limit: number): Promise<RecordedEvent[]> {
    return this.guard(() =>
      this.statements.readByStream.all(after?.streamName ?? '', after?.revision ?? 0, upTo, limit).map(toRecordedEvent),
    );
  }

  async streamSplits(upTo: number, parts: number): Promise<string[]> {
    return this.guard(() => {
      const total = this.statements.countUpTo.get(upTo)?.count ?? 0;
      const splits: string[] = [];
      for (let part = 1; part < parts; part++) {
        const stream = this.statements.streamAtOffset.get(upTo, Math.floor((total * part) / parts))?.stream;
        // A split falls between streams: small logs give fewer, never a repeated one.
        if (stream !== undefined && stream !== splits.at(-1) && stream !== '') splits.push(stream);
      }
      return splits;
    });
  }

  async headPosition(): Promise<number> {
    return this.guard(() => this.statements.headPosition.get()?.position ?? 0);
  }

  async countAfter(position: number, cap: number): Promise<number> {
    return this.guard(() => this.statements.countAfter.get(position, cap)?.count ?? 0);
  }

  async chainHead(): Promise<ChainHead | undefined> {
    return this.guard(() => readChainHead(this.db));
  }

  async chainUpgrades(): Promise<ChainUpgrade[]> {
    return this.guard(() => readChainUpgrades(this.db));
  }

  async close(): Promise<void> {
    // Let appends already queued commit before the database closes.
    while (this.pending.length > 0) this.flush();
    this.appendedSubject.complete();
    if (this.db.open) this.db.close();
  }

  private guard<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      throw new StoreUnavailableError(`the event log could not be read: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/**
 * Opens the log read-write; where the disk is full or read-only, opens it
 * read-only so that history stays readable, and says why.
 */
function openLog(options: SqliteEventStoreOptions): { db: Database.Database; readOnlyReason?: string } {
  if (options.readOnly) return { db: openReadOnly(options.filename), readOnlyReason: 'opened read-only, for reading' };
  try {
    const db = new Database(options.filename);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      db.pragma('busy_timeout = 5000');
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
      db.exec(SCHEMA);
      return { db };
    } catch (error) {
      db.close();
      throw error;
    }
  } catch (error) {
    if (options.filename === ':memory:' || !cannotWrite(error)) throw error;
    const db = openReadOnly(options.filename, error);
    return {
      db,
      readOnlyReason: `opened read-only: the data directory cannot be written (${describeSqliteError(error)})`,
    };
  }
}

/** @param writeError why it could not be opened read-write, when that was tried first */
function openReadOnly(filename: string, writeError?: unknown): Database.Database {
  try {
    const db = new Database(filename, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.prepare('SELECT count(*) FROM events').get(); // fails now, not on the first request
    return db;
  } catch (error) {
    throw new StoreUnavailableError(
      writeError === undefined
        ? `the event log ${filename} cannot be read (${describeSqliteError(error)}); check DATA_DIR`
        : `the event log ${filename} can be neither written (${describeSqliteError(writeError)}) ` +
            `nor read (${describeSqliteError(error)}); free space on its disk or make DATA_DIR writable`,
      { cause: error },
    );
  }
}

/**
 * The columns every read of events selects, in the order `toRecordedEvent`
 * takes them. Reads take rows as arrays (better-sqlite3's raw mode): building
 * an object with ten named members per row took a third of reading a CI's
 * two events (22 against 14 µs, in process).
 */
const EVENT_COLUMNS = 'position, event_id, stream, revision, type, data, metadata, recorded_at, prev_hash, hash';
type EventTuple = [
  position: number,
  eventId: string,
  stream: string,
  revision: number,
  type: string,
  data: string,
  metadata: string,
  recordedAt: string,
  prevHash: string | null,
  hash: string | null,
];

function toRecordedEvent(row: EventTuple): RecordedEvent {
  const [position, id, streamName, revision, type, data, metadata, recordedAt, prevHash, hash] = row;
  return {
    id,
    streamName,
    revision,
    position,
    type,
    data: JSON.parse(data) as unknown,
    metadata: JSON.parse(metadata) as unknown,
    recordedAt,
    ...(hash !== null && prevHash !== null && { chain: { prevHash, hash } }),
  };
}

function prepareStatements(db: Database.Database) {
  return {
    // Answered from the (stream, revision) index alone, the position being the rowid: every read
    // about a CI and every write begin with it, and the event's row (its data) is not needed.
    head: db.prepare<[string], { revision: number; position: number }>(
      'SELECT revision, position FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
    ),
    insert: db.prepare(
      `INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at, recorded_ms, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    saveChainHead: db.prepare('INSERT OR REPLACE INTO chain_head (id, position, hash) VALUES (1, ?, ?)'),
    chainHead: db.prepare<[], { hash: string }>('SELECT hash FROM chain_head WHERE id = 1'),
    readStream: db
      .prepare<[string, number, number, number], EventTuple>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision BETWEEN ? AND ? AND recorded_ms <= ? ORDER BY revision`,
      )
      .raw(true),
    readAll: db
      .prepare<[number, number], EventTuple>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      )
      .raw(true),
    // The (stream, revision) unique index serves both the order and the row-value keyset.
    readByStream: db
      .prepare<[string, number, number, number], EventTuple>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE (stream, revision) > (?, ?) AND position <= ? ORDER BY stream, revision LIMIT ?`,
      )
      .raw(true),
    countUpTo: db.prepare<[number], { count: number }>('SELECT count(*) AS count FROM events WHERE position <= ?'),
    streamAtOffset: db.prepare<[number, number], { stream: string }>(
      'SELECT stream FROM events WHERE position <= ? ORDER BY stream, revision LIMIT 1 OFFSET ?',
    ),
    headPosition: db.prepare<[], { position: number | null }>('SELECT max(position) AS position FROM events'),
    countAfter: db.prepare<[number, number], { count: number }>(
      'SELECT count(*) AS count FROM (SELECT 1 FROM events WHERE position > ? LIMIT ?)',
    ),
  };
}
