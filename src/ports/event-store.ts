import type { Observable } from 'rxjs';
import type { ChainLink } from './event-chain';

/**
 * The event log. Streams are append-only; every event also gets a global
 * position, strictly increasing in append order across all streams.
 *
 * Revisions are 1-based and count the events in a stream (1 after the first
 * append), on every adapter; adapters whose store counts from 0 convert.
 */

export interface NewEvent {
  /** A UUID, chosen by the writer; adapters that support it de-duplicate retried appends on it. */
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  /** RFC 3339 with ms precision; the writer makes it monotonic per stream. */
  readonly recordedAt: string;
}

export interface RecordedEvent extends NewEvent {
  readonly streamName: string;
  readonly revision: number;
  readonly position: number;
  /** Its place in the hash chain; absent on events recorded before the log was chained. */
  readonly chain?: ChainLink;
}

/** The newest link of a global chain, kept apart from the events so that a log cut short shows. */
export interface ChainHead {
  readonly position: number;
  readonly hash: string;
}

/** A one-off chaining of events recorded before the log had a chain (an upgrade), as recorded. */
export interface ChainUpgrade {
  readonly chainedAt: string;
  readonly firstPosition: number;
  readonly lastPosition: number;
  readonly events: number;
}

/**
 * What an append expects of the stream: exactly `n` events already there
 * (`0` is the same as `'no_stream'`), no stream at all, or anything.
 */
export type ExpectedRevision = number | 'no_stream' | 'any';

export interface AppendResult {
  /** The stream's revision after the append (its number of events). */
  readonly revision: number;
  /** The global position of the last appended event. */
  readonly position: number;
}

/** Where a stream ends: what a read-your-writes wait and a write's concurrency check need, nothing more. */
export interface StreamHead {
  readonly revision: number;
  readonly position: number;
}

/**
 * A stream's state folded from its events 1..`revision`, saved by the writer
 * that folded it so that a later write (or the relay) reads only the events
 * after it. A cache beside the log, not part of it: never an event, never
 * chained or exported; losing one costs one full read of the stream.
 */
export interface StreamSnapshot {
  readonly revision: number;
  /** JSON; its shape is the writer's (it checks its own version on reading). */
  readonly state: unknown;
}

/** Where a read in stream order stopped: the last event returned. */
export interface StreamCursor {
  readonly streamName: string;
  readonly revision: number;
}

export interface ReadStreamOptions {
  /** Only events from this revision on (1-based; default 1). */
  readonly fromRevision?: number;
  /** Only events up to and including this revision. */
  readonly toRevision?: number;
  /** Only events recorded at or before this instant (ms since the epoch). */
  readonly toRecordedAt?: number;
}

/**
 * Whether appends can succeed, as far as the store knows: false after an
 * append failed on the store's side (disk full, read-only, unreachable) until
 * one succeeds again, or while the store was opened read-only.
 */
export type WriteStatus = { readonly writable: true } | { readonly writable: false; readonly reason: string };

export interface EventStore {
  /** Which store this is, for logs and /readyz (`sqlite`, `eventstoredb`). */
  readonly adapter: string;

  /** What each event's chain link follows: the previous event of the log, or of its stream. */
  readonly chainScope: 'global' | 'per-stream';

  /** Global chains only: the newest link, recorded with every commit (undefined for an empty log). */
  chainHead?(): Promise<ChainHead | undefined>;

  /**
   * Stores that commit appends in groups (the embedded log) tell `listener`
   * how many events each commit wrote (metrics); others have no groups.
   */
  observeCommits?(listener: (events: number) => void): void;

  /** Upgrades that chained events recorded before chaining existed, oldest first. */
  chainUpgrades?(): Promise<ChainUpgrade[]>;

  /** For /readyz: a store that serves reads but refuses writes says so, with the reason. */
  writeStatus(): WriteStatus;

  /**
   * Appends atomically: all events or none. Rejects with ConcurrencyError when
   * the stream is not at `expected`, with StoreUnavailableError when the store
   * cannot be reached (retryable), never confusing the two. Resolves only once
   * the events are durable (per the adapter's durability setting).
   */
  append(streamName: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;

  /** A stream's events in revision order; a missing stream reads as empty. */
  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** The latest event's revision and position, or undefined for a missing stream. */
  streamHead(streamName: string): Promise<StreamHead | undefined>;

  /**
   * Up to `limit` events of CI streams with position > `after`, in position
   * order. Pull-based so that readers control their own pace (back-pressure).
   */
  readAll(after: number, limit: number): Promise<RecordedEvent[]>;

  /**
   * Optional: up to `limit` CI events with position ≤ `upTo`, ordered by
   * stream name then revision, starting after `after`. A rebuild reads this
   * way so that it holds one CI's documents in memory at a time. Stores that
   * lack it are rebuilt in position order with readAll.
   */
  readByStream?(upTo: number, after: StreamCursor | undefined, limit: number): Promise<RecordedEvent[]>;

  /**
   * Stream names that split what readByStream visits up to `upTo` into at
   * most `parts` ranges of about as many events (ascending, at most
   * `parts - 1`; each range starts at one and ends before the next), so a
   * rebuild can read the ranges in parallel.
   */
  streamSplits?(upTo: number, parts: number): Promise<string[]>;

  /**
   * Optional: the latest snapshot saved for `streamName` (undefined if none),
   * and saving one, which replaces an older one and never a newer one (a
   * save racing another's may be dropped: it is a cache).
   * Snapshots are not events: no read of events, and no count or position,
   * ever includes them.
   */
  readSnapshot?(streamName: string): Promise<StreamSnapshot | undefined>;
  /**
   * A snapshot saved as a `milestone` is also kept after newer ones replace
   * it as the latest, so that a fold up to an earlier revision (a restore)
   * can start near it; the writer saves one now and then, each costing a
   * snapshot's bytes for good. Saving the same milestone twice keeps one or both.
   */
  saveSnapshot?(
    streamName: string,
    snapshot: StreamSnapshot,
    options?: { readonly milestone?: boolean },
  ): Promise<void>;
  /**
   * Optional, with saveSnapshot: the newest of the stream's latest snapshot
   * and its milestones at or before revision `notAfter` that `accept` takes
   * (any, when absent); undefined if none. Snapshots are tried newest first.
   */
  findSnapshot?(
    streamName: string,
    notAfter: number,
    accept?: (snapshot: StreamSnapshot) => boolean,
  ): Promise<StreamSnapshot | undefined>;

  /** The position of the latest CI event in the log (0 when empty). */
  headPosition(): Promise<number>;

  /**
   * How many CI events lie after `position`, counting at most `cap` (the
   * answer is `cap` when there are more). Positions need not be consecutive
   * numbers, so lag in events is counted, never computed by subtraction.
   */
  countAfter(position: number, cap: number): Promise<number>;

  /**
   * Emits (at least) once after new events became readable, with the newest
   * known position. A hint for readers that have caught up, not a data feed:
   * readers still read with readAll from their own checkpoint.
   */
  readonly appended$: Observable<number>;

  close(): Promise<void>;
}

/** The stream was not at the revision the writer expected. Maps to 412/409, never 5xx. */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    readonly actual: number,
  ) {
    super(`stream ${streamName} is at revision ${actual}, expected ${String(expected)}`);
  }
}

/** The events are larger than the store takes in one append; retrying cannot help. Maps to 413. */
export class AppendTooLargeError extends Error {
  constructor(
    readonly streamName: string,
    readonly maxBytes: number | undefined,
  ) {
    super(
      `the change to ${streamName} is larger than the event log takes in one append` +
        (maxBytes ? ` (${maxBytes} bytes)` : '') +
        '; send a smaller document (fewer or shorter attributes)',
    );
  }
}

/** The store could not be reached or failed; retrying later may succeed. Maps to 503. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
