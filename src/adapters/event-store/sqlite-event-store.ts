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
  type StreamHead,
} from '../../ports/event-store';

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
}

interface PendingAppend {
  readonly streamName: string;
  readonly events: readonly NewEvent[];
  readonly expected: ExpectedRevision;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

interface EventRow {
  position: number;
  event_id: string;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
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
 * The embedded event log: one SQLite table in WAL mode.
 *
 * Group commit: appends arriving in the same turn of the event loop are
 * written in one transaction (each append in its own savepoint, so one
 * conflicting append does not fail the others) and share one fsync. An
 * append's promise resolves only after that commit.
 */
export class SqliteEventStore implements EventStore {
  readonly adapter = 'sqlite';
  private readonly db: Database.Database;
  private readonly appendedSubject = new Subject<number>();
  readonly appended$: Observable<number> = this.appendedSubject.asObservable();
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  private readonly maxGroupSize: number;
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** A nested better-sqlite3 transaction runs as a savepoint. */
  private readonly appendOne: (append: PendingAppend) => AppendResult;

  constructor(options: SqliteEventStoreOptions) {
    this.db = new Database(options.filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.maxGroupSize = options.maxGroupSize ?? 512;
    this.statements = prepareStatements(this.db);
    this.appendOne = this.db.transaction((append: PendingAppend) => this.appendInSavepoint(append));
  }

  append(streamName: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
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
    try {
      const commitGroup = this.db.transaction(() => {
        for (const append of group) {
          try {
            outcomes.push({ ok: true, result: this.appendOne(append) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
      commitGroup.immediate();
    } catch (error) {
      const failure = new StoreUnavailableError(`the event log could not commit: ${(error as Error).message}`, {
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

  /** Runs inside the group transaction, in a savepoint of its own. */
  private appendInSavepoint(append: PendingAppend): AppendResult {
    const head = this.statements.head.get(append.streamName);
    const actual = head?.revision ?? 0;
    const { expected } = append;
    const matches = expected === 'any' || (expected === 'no_stream' ? actual === 0 : expected === actual);
    if (!matches) throw new ConcurrencyError(append.streamName, expected, actual);
    let revision = actual;
    let position = 0;
    for (const event of append.events) {
      revision += 1;
      const info = this.statements.insert.run(
        event.id,
        append.streamName,
        revision,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
        event.recordedAt,
        Date.parse(event.recordedAt),
      );
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
      return head && { revision: head.revision, position: head.position, recordedAt: head.recorded_at };
    });
  }

  async readAll(after: number, limit: number): Promise<RecordedEvent[]> {
    return this.guard(() => this.statements.readAll.all(after, limit).map(toRecordedEvent));
  }

  async readByStream(upTo: number, after: StreamCursor | undefined, limit: number): Promise<RecordedEvent[]> {
    return this.guard(() =>
      this.statements.readByStream.all(after?.streamName ?? '', after?.revision ?? 0, upTo, limit).map(toRecordedEvent),
    );
  }

  async headPosition(): Promise<number> {
    return this.guard(() => this.statements.headPosition.get()?.position ?? 0);
  }

  async countAfter(position: number, cap: number): Promise<number> {
    return this.guard(() => this.statements.countAfter.get(position, cap)?.count ?? 0);
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

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamName: row.stream,
    revision: row.revision,
    position: row.position,
    type: row.type,
    data: JSON.parse(row.data) as unknown,
    metadata: JSON.parse(row.metadata) as unknown,
    recordedAt: row.recorded_at,
  };
}

function prepareStatements(db: Database.Database) {
  return {
    head: db.prepare<[string], { revision: number; position: number; recorded_at: string }>(
      'SELECT revision, position, recorded_at FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
    ),
    insert: db.prepare(
      `INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at, recorded_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    readStream: db.prepare<[string, number, number, number], EventRow>(
      'SELECT * FROM events WHERE stream = ? AND revision BETWEEN ? AND ? AND recorded_ms <= ? ORDER BY revision',
    ),
    readAll: db.prepare<[number, number], EventRow>(
      'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?',
    ),
    // The (stream, revision) unique index serves both the order and the row-value keyset.
    readByStream: db.prepare<[string, number, number, number], EventRow>(
      'SELECT * FROM events WHERE (stream, revision) > (?, ?) AND position <= ? ORDER BY stream, revision LIMIT ?',
    ),
    headPosition: db.prepare<[], { position: number | null }>('SELECT max(position) AS position FROM events'),
    countAfter: db.prepare<[number, number], { count: number }>(
      'SELECT count(*) AS count FROM (SELECT 1 FROM events WHERE position > ? LIMIT ?)',
    ),
  };
}
