import type Database from 'better-sqlite3';
import { ConcurrencyError, type AppendResult, type ExpectedRevision, type NewEvent } from '../../ports/event-store';
import { GENESIS_HASH, chainHashOfParts } from '../../ports/event-chain';
import { canonicalJson } from '../../ports/canonical-json';
import { WAL_SIZE_LIMIT } from '../sqlite-failures';

/** One event of an append, its data and metadata already canonical JSON: what is stored, and what the chain hashes. */
export interface SerializedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly recordedAt: string;
}

/** An append as a commit takes it: plain values, so that it can be handed to another thread. */
export interface SerializedAppend {
  readonly streamName: string;
  readonly events: readonly SerializedEvent[];
  readonly expected: ExpectedRevision;
}

export type AppendOutcome =
  { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; error: unknown };

/**
 * What every connection that writes the log sets (the store's own, and a
 * commit thread's): its flush on commit, how long it waits for another
 * writer's lock, and the WAL's size after a checkpoint.
 */
export function setWriteSettings(db: Database.Database, synchronous: 'full' | 'normal' | undefined): void {
  db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
}

/**
 * A stream's newest revision and its position, answered from the (stream,
 * revision) index alone, the position being the rowid: every read about a CI
 * and every write begin with it, and the event's row (its data) is not needed.
 */
export function prepareStreamHead(db: Database.Database): Database.Statement<[string], StreamHead> {
  return db.prepare<[string], StreamHead>(
    'SELECT revision, position FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
  );
}

export interface StreamHead {
  readonly revision: number;
  readonly position: number;
}

/** Each event serialised once, on the thread that received the append. */
export function serializeAppend(
  streamName: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
): SerializedAppend {
  return {
    streamName,
    expected,
    events: events.map((event): SerializedEvent => ({
      id: event.id,
      type: event.type,
      data: canonicalJson(event.data),
      metadata: canonicalJson(event.metadata),
      recordedAt: event.recordedAt,
    })),
  };
}

/**
 * The group commit of the embedded log, on whichever connection (and thread)
 * writes it: the appends of a group in one transaction, each chained to the
 * event before it, each failing alone. Reads nothing but what the appends
 * need, so the connection that reads the log for requests can be another one.
 */
export class SqliteLogWriter {
  private readonly statements: ReturnType<typeof prepareWrites>;
  /** A nested better-sqlite3 transaction runs as a savepoint. */
  private readonly appendInSavepoint: (append: SerializedAppend, prevHash: string) => Chained;
  private readonly commitGroup: Database.Transaction<(group: readonly SerializedAppend[]) => AppendOutcome[]>;

  constructor(private readonly db: Database.Database) {
    this.statements = prepareWrites(db);
    this.appendInSavepoint = db.transaction((append: SerializedAppend, prevHash: string) =>
      this.appendEvents(append, prevHash),
    );
    this.commitGroup = db.transaction((group: readonly SerializedAppend[]) => {
      const outcomes: AppendOutcome[] = [];
      // Another process may have appended since (several services on one data directory): the
      // chain goes on from the head committed in the file, read under this write lock.
      let lastHash = this.statements.chainHead.get()?.hash ?? GENESIS_HASH;
      let newest: AppendResult | undefined;
      for (const append of group) {
        try {
          const chained = this.appendOne(append, lastHash);
          lastHash = chained.hash;
          newest = chained.result;
          outcomes.push({ ok: true, result: chained.result });
        } catch (error) {
          // A full disk or an I/O error ends the whole transaction (SQLite rolls it back): the group
          // fails as one. The appends after it must not run, each committed alone outside it. An
          // append that fails alone wrote nothing (see appendOne), nor is its chain link kept.
          if (!this.db.inTransaction) throw error;
          outcomes.push({ ok: false, error });
        }
      }
      if (newest) this.statements.saveChainHead.run(newest.position, lastHash);
      return outcomes;
    });
  }

  /**
   * Commits `group` in one transaction, taking the write lock at its start;
   * throws when the transaction itself fails (a full disk, an I/O error), and
   * then nothing of the group was written.
   */
  commit(group: readonly SerializedAppend[]): AppendOutcome[] {
    return this.commitGroup.immediate(group);
  }

  /**
   * One append, alone in its group's fate: it fails without failing the others. An append of one
   * event checks the stream and serialises its event before it writes, and writes with one
   * statement, which SQLite undoes by itself if it fails: it needs no savepoint, two statements
   * more per append (about a tenth of an append's cost in a group). An append of several events
   * takes one, so that a failure after its first insert leaves none of them.
   */
  private appendOne(append: SerializedAppend, prevHash: string): Chained {
    return append.events.length === 1 ? this.appendEvents(append, prevHash) : this.appendInSavepoint(append, prevHash);
  }

  /** Checks the stream's revision, then inserts the events, each chained to the one before. */
  private appendEvents(append: SerializedAppend, prevHash: string): Chained {
    const head = this.statements.head.get(append.streamName);
    const actual = head?.revision ?? 0;
    const { expected } = append;
    const matches = expected === 'any' || (expected === 'no_stream' ? actual === 0 : expected === actual);
    if (!matches) throw new ConcurrencyError(append.streamName, expected, actual);
    let revision = actual;
    let position = 0;
    let hash = prevHash;
    for (const event of append.events) {
      revision += 1;
      const linkedTo = hash;
      hash = chainHashOfParts(
        linkedTo,
        { ...event, streamName: append.streamName, revision },
        event.data,
        event.metadata,
      );
      const info = this.statements.insert.run(
        event.id,
        append.streamName,
        revision,
        event.type,
        event.data,
        event.metadata,
        event.recordedAt,
        Date.parse(event.recordedAt),
        linkedTo,
        hash,
      );
      position = Number(info.lastInsertRowid);
    }
    return { result: { revision, position }, hash };
  }
}

/** An append written, and the hash of its last event: what the next one links to. */
interface Chained {
  readonly result: AppendResult;
  readonly hash: string;
}

function prepareWrites(db: Database.Database) {
  return {
    head: prepareStreamHead(db),
    insert: db.prepare(
      `INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at, recorded_ms, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    saveChainHead: db.prepare('INSERT OR REPLACE INTO chain_head (id, position, hash) VALUES (1, ?, ?)'),
    chainHead: db.prepare<[], { hash: string }>('SELECT hash FROM chain_head WHERE id = 1'),
  };
}
