import Database from 'better-sqlite3';
import { Subject, type Observable } from 'rxjs';
import {
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
import { cannotWrite, describeSqliteError } from '../sqlite-failures';
import { addChainColumns, chainUnchainedEvents, readChainHead, readChainUpgrades } from './sqlite-chain';
import { SqliteCommitThread } from './sqlite-commit-thread';
import {
  SqliteLogWriter,
  prepareStreamHead,
  serializeAppend,
  setWriteSettings,
  type AppendOutcome,
  type SerializedAppend,
} from './sqlite-log-writer';
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
  /**
   * Commit on a thread of its own (the compiled src/log-commit-thread.ts),
   * on a second connection: the caller's thread does not wait for the disk,
   * and appends that arrive meanwhile join the next group. For a log in a
   * file; without it, each group commits on the caller's thread.
   */
  readonly commitThread?: { readonly scriptPath: string };
}

interface PendingAppend {
  readonly append: SerializedAppend;
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
 * (SqliteLogWriter), so one conflicting append does not fail the others. An
 * append's promise resolves only after that commit. With a commit thread,
 * one group is committed at a time, there, and the appends that arrive while
 * it waits for the disk make the next group.
 */
export class SqliteEventStore implements EventStore {
  readonly adapter = 'sqlite';
  /** Appends are serialised by the file's write lock, so every event follows the previous one of the whole log. */
  readonly chainScope = 'global';
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
  /** Commits on this connection; undefined with a commit thread, or where the log is read-only. */
  private readonly writer: SqliteLogWriter | undefined;
  private readonly commitThread: SqliteCommitThread | undefined;
  /** The group the commit thread is writing, until it answers (one at a time, in the appends' order). */
  private committing: Promise<void> | undefined;

  /** Set while appends are refused by the operator's side (opened read-only, disk full at start). */
  private refusal: string | undefined;
  /** The last commit's failure, until a commit succeeds. */
  private commitFailure: string | undefined;

  constructor(options: SqliteEventStoreOptions) {
    const { cacheKiB } = options;
    // Checked before the file is opened, so a refused option leaves no connection behind.
    if (cacheKiB !== undefined && !(Number.isInteger(cacheKiB) && cacheKiB >= 1))
      throw new RangeError(`cacheKiB must be a positive integer, not ${cacheKiB}`);
    if (options.commitThread && options.filename === ':memory:')
      throw new RangeError('a commit thread writes the log on a connection of its own: give the log a file');
    const opened = openLog(options);
    this.db = opened.db;
    // Negative: SQLite's unit for a size in KiB rather than a number of pages.
    if (cacheKiB !== undefined) this.db.pragma(`cache_size = ${-cacheKiB}`);
    this.refusal = opened.readOnlyReason;
    if (!this.db.readonly) {
      addChainColumns(this.db);
      this.upgrade = chainUnchainedEvents(this.db, new Date());
    }
    this.maxGroupSize = options.maxGroupSize ?? 512;
    this.statements = prepareStatements(this.db);
    this.snapshots = new SqliteSnapshots(this.db);
    if (!this.db.readonly) {
      // Set up above on this connection (schema, chain), before the thread opens its own.
      this.commitThread =
        options.commitThread &&
        new SqliteCommitThread(options.commitThread.scriptPath, {
          filename: options.filename,
          synchronous: options.synchronous ?? 'full',
        });
      if (!this.commitThread) this.writer = new SqliteLogWriter(this.db);
    }
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
    let append: SerializedAppend;
    try {
      // Stored as canonical JSON, which is also what the chain hashes: each event is serialised once.
      append = serializeAppend(streamName, events, expected);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ append, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Commits the next group: here, or on the commit thread once it has answered for the one before. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.committing) return; // its end flushes what waits
    const group = this.pending.splice(0, this.maxGroupSize);
    if (group.length === 0) return;
    if (this.pending.length > 0) this.scheduleFlush();
    const appends = group.map((pending) => pending.append);
    if (this.commitThread) {
      this.committing = this.commitThread.commit(appends).then(
        (outcomes) => this.settle(group, outcomes),
        (error: unknown) => this.fail(group, error),
      );
      void this.committing.finally(() => {
        this.committing = undefined;
        if (this.pending.length > 0) this.scheduleFlush();
      });
      return;
    }
    let outcomes: AppendOutcome[];
    try {
      outcomes = this.writer!.commit(appends);
    } catch (error) {
      this.fail(group, error);
      return;
    }
    this.settle(group, outcomes);
  }

  /** After a commit: each append's outcome, then one notification of the newest position. */
  private settle(group: readonly PendingAppend[], outcomes: readonly AppendOutcome[]): void {
    this.commitFailure = undefined;
    if (this.commitListener) {
      const events = outcomes.reduce((sum, o, i) => sum + (o.ok ? group[i]!.append.events.length : 0), 0);
      if (events > 0) this.commitListener(events);
    }
    let newest = 0;
    group.forEach((pending, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) {
        newest = Math.max(newest, outcome.result.position);
        pending.resolve(outcome.result);
      } else {
        pending.reject(outcome.error);
      }
    });
    if (newest > 0) this.appendedSubject.next(newest);
  }

  /** The group's transaction failed (a full disk, an I/O error): none of it was written. */
  private fail(group: readonly PendingAppend[], error: unknown): void {
    // A commit thread that stopped says so itself; SQLite's errors are described as the disk's.
    this.commitFailure = error instanceof StoreUnavailableError ? error.message : describeSqliteError(error);
    const failure =
      error instanceof StoreUnavailableError
        ? error
        : new StoreUnavailableError(`the event log could not commit: ${this.commitFailure}`, { cause: error });
    for (const pending of group) pending.reject(failure);
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
      // With a commit thread, there: a write here would wait for its lock on this thread.
      if (this.commitThread) await this.commitThread.saveSnapshot(streamName, snapshot, options?.milestone ?? false);
      else this.snapshots.put(streamName, snapshot, options?.milestone);
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
    for (;;) {
      if (this.committing) await this.committing;
      else if (this.pending.length > 0) this.flush();
      else break;
    }
    await this.commitThread?.close();
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
      setWriteSettings(db, options.synchronous);
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
    head: prepareStreamHead(db),
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
