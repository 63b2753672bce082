import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type EventData,
  type ReadPosition,
} from '@eventstore/db-client';
import { Subject, defer, retry, share, takeUntil, timer, Observable } from 'rxjs';
import type { Logger } from 'pino';
import {
  AppendTooLargeError,
  ConcurrencyError,
  StoreUnavailableError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamHead,
  type StreamSnapshot,
  type WriteStatus,
} from '../../ports/event-store';
import { CiFreeRange } from './ci-free-range';
import { GENESIS_HASH } from '../../ports/event-chain';
import {
  classifyEsdbError,
  fromEsdbPosition,
  hasEsdbPosition,
  fromEsdbRecordedEvent,
  fromEsdbRevision,
  isCiEvent,
  toChainedEsdbEvents,
  toEsdbExpectedRevision,
  toEsdbPosition,
  type EsdbRecordedEvent,
} from './eventstoredb-mapping';
import { CI_STREAM_PREFIX } from '../../domain';

export interface EventStoreDbEventStoreOptions {
  /** e.g. `esdb://localhost:2113?tls=false`; credentials go in the URL (`esdb://admin:changeit@…`). */
  readonly connectionString: string;
  readonly logger: Logger;
  /** Events read from `$all` per request while scanning. */
  readonly scanPageSize?: number;
  /** First delay before resubscribing after the `$all` subscription drops; doubles up to maxResubscribeDelayMs. */
  readonly resubscribeDelayMs?: number;
  readonly maxResubscribeDelayMs?: number;
  /**
   * Which streams are the log's: `ci-` (the CI streams) unless a test suite
   * sharing a server keeps its own streams apart, so that a service running
   * on the same server never reads them.
   */
  readonly streamPrefix?: string;
  /** A client to use instead of one made from the connection string (tests: fakes of the client's failure modes). */
  readonly client?: EventStoreDBClient;
}

/**
 * The production event log on EventStoreDB (or KurrentDB, same protocol).
 *
 * - Each CI is a stream `ci-<id>`; events are JSON, their metadata carries
 *   our recorded time and change metadata (see eventstoredb-mapping.ts).
 * - Event ids are the writer's UUIDs, so EventStoreDB de-duplicates an append
 *   retried after a lost acknowledgement.
 * - Readers pull `$all` a page at a time from their own checkpoint (the
 *   commit position), keeping only CI streams; `appended$` is fed by one
 *   filtered `$all` subscription that wakes readers up, resubscribing from
 *   the last position it saw, with backoff, whenever it drops.
 */
export class EventStoreDbEventStore implements EventStore {
  readonly adapter = 'eventstoredb';
  /**
   * Appends to different streams race on the server, so an event's link
   * follows the previous event of its own stream.
   */
  readonly chainScope = 'per-stream';
  readonly appended$: Observable<number>;
  private readonly client: EventStoreDBClient;
  private readonly logger: Logger;
  private readonly scanPageSize: number;
  private readonly streamPrefix: string;
  private readonly closed$ = new Subject<void>();
  private closed = false;
  private readonly ciFree = new CiFreeRange();
  /** The newest CI event position seen by an append, a read or the subscription. */
  private knownCiHead = 0;
  /** The last walk back from the end of `$all`: where the log ended then, and the CI head it found. */
  private lastHeadWalk: { top: number; result: number } | undefined;

  constructor(options: EventStoreDbEventStoreOptions) {
    this.client = options.client ?? EventStoreDBClient.connectionString(options.connectionString);
    this.logger = options.logger;
    this.scanPageSize = options.scanPageSize ?? 512;
    this.streamPrefix = options.streamPrefix ?? CI_STREAM_PREFIX;
    const firstDelay = options.resubscribeDelayMs ?? 250;
    const maxDelay = options.maxResubscribeDelayMs ?? 30_000;
    this.appended$ = defer(() => this.subscribeToCiEvents()).pipe(
      retry({
        resetOnSuccess: true,
        delay: (error: Error, attempt) => {
          const delayMs = Math.min(firstDelay * 2 ** (attempt - 1), maxDelay);
          this.logger.warn(
            { err: error, attempt, retryInMs: delayMs, fromPosition: this.knownCiHead },
            'the EventStoreDB $all subscription dropped; resubscribing from the last position seen',
          );
          return timer(delayMs);
        },
      }),
      takeUntil(this.closed$),
      // One subscription for the adapter's lifetime, however many readers come and go.
      share({ resetOnRefCountZero: false }),
    );
  }

  /** The last append's failure on the server's side, until an append succeeds. */
  private lastAppendFailure: string | undefined;

  writeStatus(): WriteStatus {
    return this.lastAppendFailure === undefined
      ? { writable: true }
      : { writable: false, reason: this.lastAppendFailure };
  }

  async append(streamName: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    try {
      // The stream's head gives the link to follow (one read; a moved head fails the append on its revision).
      const head = expected === 'no_stream' || expected === 0 ? undefined : await this.lastEvent(streamName);
      const chained = toChainedEsdbEvents(
        streamName,
        (head?.revision ?? 0) + 1,
        head?.chain?.hash ?? GENESIS_HASH,
        events,
      );
      const result = await this.client.appendToStream(streamName, chained as unknown as EventData[], {
        expectedRevision: toEsdbExpectedRevision(expected),
      });
      const revision = fromEsdbRevision(result.nextExpectedRevision);
      const position = await this.appendedPosition(streamName, revision, result.position);
      this.noteCiPosition(position);
      this.lastAppendFailure = undefined;
      return { revision, position };
    } catch (error) {
      const failure = classifyEsdbError(error);
      if (failure.kind === 'concurrency') throw new ConcurrencyError(streamName, expected, failure.actual);
      if (failure.kind === 'too-large') throw new AppendTooLargeError(streamName, failure.maxBytes);
      const translated = this.translate(error, `append to ${streamName}`);
      if (translated instanceof StoreUnavailableError) this.lastAppendFailure = translated.message;
      throw translated;
    }
  }

  /**
   * The position of an append. An idempotent append retried before the first
   * was indexed comes back without one (the events were written once, by the
   * first): the stream's head, at the revision appended, has it.
   */
  private async appendedPosition(
    streamName: string,
    revision: number,
    reported: Parameters<typeof fromEsdbPosition>[0],
  ): Promise<number> {
    if (hasEsdbPosition(reported)) return fromEsdbPosition(reported, `the append to ${streamName}`);
    const head = await this.lastEvent(streamName);
    if (head && head.revision >= revision) {
      const event =
        head.revision === revision
          ? head
          : (await this.readStream(streamName, { fromRevision: revision, toRevision: revision }))[0];
      if (event) return event.position;
    }
    throw new StoreUnavailableError(
      `EventStoreDB accepted the append to ${streamName} but reported no position, and revision ${revision} is not readable yet; read the CI before writing again`,
    );
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const { toRevision, toRecordedAt } = options;
    const fromRevision = Math.max(1, options.fromRevision ?? 1);
    if (toRevision !== undefined && toRevision < fromRevision) return [];
    return this.guard(
      `read ${streamName}`,
      async () => {
        const events: RecordedEvent[] = [];
        const read = this.client.readStream(streamName, {
          direction: FORWARDS,
          // EventStoreDB counts revisions from 0.
          fromRevision: fromRevision === 1 ? START : BigInt(fromRevision - 1),
          ...(toRevision !== undefined ? { maxCount: toRevision - fromRevision + 1 } : {}),
        });
        try {
          for await (const resolved of read) {
            if (!resolved.event) continue;
            const event = fromEsdbRecordedEvent(resolved.event as EsdbRecordedEvent);
            // Recorded times only grow within a stream, so the first later one ends the read.
            if (toRecordedAt !== undefined && Date.parse(event.recordedAt) > toRecordedAt) break;
            events.push(event);
          }
        } finally {
          await cancelUnfinished(read);
        }
        return events;
      },
      () => [],
    );
  }

  async streamHead(streamName: string): Promise<StreamHead | undefined> {
    const event = await this.lastEvent(streamName);
    return event && { revision: event.revision, position: event.position };
  }

  private async lastEvent(streamName: string): Promise<RecordedEvent | undefined> {
    const last = await this.lastOf(streamName, `read the head of ${streamName}`);
    return last && fromEsdbRecordedEvent(last);
  }

  async readSnapshot(streamName: string): Promise<StreamSnapshot | undefined> {
    return snapshotOf(await this.lastOf(snapshotStreamName(streamName), `read the snapshot of ${streamName}`));
  }

  /** The latest snapshot where it will do, else the milestones read backwards from the newest. */
  async findSnapshot(
    streamName: string,
    notAfter: number,
    accept: (snapshot: StreamSnapshot) => boolean = () => true,
  ): Promise<StreamSnapshot | undefined> {
    const usable = (snapshot: StreamSnapshot | undefined) =>
      snapshot && snapshot.revision <= notAfter && accept(snapshot) ? snapshot : undefined;
    const latest = usable(await this.readSnapshot(streamName));
    if (latest) return latest;
    return this.firstBackwards(
      milestoneStreamName(streamName),
      `read the snapshot milestones of ${streamName}`,
      (event) => usable(snapshotOf(event)),
    );
  }

  /** A stream's last event; undefined for a missing or empty stream. */
  private async lastOf(streamName: string, what: string): Promise<EsdbRecordedEvent | undefined> {
    return this.firstBackwards(streamName, what, (event) => event, 1);
  }

  /**
   * The first of a stream's events, read backwards from its end, that `pick`
   * makes something of; undefined for a missing stream or where none is.
   * The read is cancelled once it is found.
   */
  private async firstBackwards<T>(
    streamName: string,
    what: string,
    pick: (event: EsdbRecordedEvent) => T | undefined,
    maxCount?: number,
  ): Promise<T | undefined> {
    return this.guard(
      what,
      async () => {
        const read = this.client.readStream(streamName, {
          direction: BACKWARDS,
          fromRevision: END,
          ...(maxCount !== undefined && { maxCount }),
        });
        try {
          for await (const resolved of read) {
            const picked = resolved.event && pick(resolved.event as EsdbRecordedEvent);
            if (picked !== undefined) return picked;
          }
          return undefined;
        } finally {
          await cancelUnfinished(read);
        }
      },
      () => undefined,
    );
  }

  /**
   * Appended to the stream `snapshot-<stream>`, and a milestone also to
   * `milestone-<stream>`, outside the CI streams that readers of `$all`
   * keep, after the events it folds were appended (not atomically with
   * them: a snapshot is a cache, checked against the stream's head when
   * used).
   */
  async saveSnapshot(
    streamName: string,
    snapshot: StreamSnapshot,
    options?: { readonly milestone?: boolean },
  ): Promise<void> {
    await this.saveLatestSnapshot(streamName, snapshot);
    // Then the milestone, even where a newer latest was kept: its stream keeps every one (no `$maxCount`),
    // in the order saved; two writers saving one each at once may both land, which misleads no read.
    if (options?.milestone) {
      await this.guard(`save a snapshot milestone of ${streamName}`, () =>
        this.client.appendToStream(milestoneStreamName(streamName), snapshotEvent(snapshot)),
      );
    }
  }

  /**
   * The server keeps only the latest (the stream's `$maxCount`). Appended at
   * the snapshot stream's revision as read: a save that races another is
   * dropped, so a newer snapshot is never replaced.
   */
  private async saveLatestSnapshot(streamName: string, snapshot: StreamSnapshot): Promise<void> {
    const name = snapshotStreamName(streamName);
    const last = await this.lastOf(name, `read the snapshot of ${streamName}`);
    const stored = snapshotOf(last);
    if (stored && stored.revision >= snapshot.revision) return;
    await this.guard(`save the snapshot of ${streamName}`, async () => {
      try {
        await this.client.appendToStream(name, snapshotEvent(snapshot), {
          expectedRevision: last ? last.revision : NO_STREAM,
        });
      } catch (error) {
        if (classifyEsdbError(error).kind === 'concurrency') return;
        throw error;
      }
      if (!last) await this.client.setStreamMetadata(name, { maxCount: 1 });
    });
  }

  async readAll(after: number, limit: number): Promise<RecordedEvent[]> {
    return this.guard('read $all', async () => {
      const events: RecordedEvent[] = [];
      let from = this.ciFree.skip(after);
      for (;;) {
        const page = await this.readAllPage(from, this.scanPageSize);
        let scannedTo = from;
        for (const { event, position } of page) {
          scannedTo = position;
          if (isCiEvent(event, this.streamPrefix)) {
            events.push(fromEsdbRecordedEvent(event));
            if (events.length >= limit) break;
          }
        }
        if (events.length > 0) {
          this.noteCiPosition(events.at(-1)!.position);
          return events;
        }
        // Nothing for CI streams in (from, scannedTo]: remember it, so the next poll starts after it.
        this.ciFree.record(from, scannedTo);
        if (page.length < this.scanPageSize) return events;
        from = scannedTo;
      }
    });
  }

  async headPosition(): Promise<number> {
    return this.guard('read the head of $all', async () => {
      // The log's newest entries may be system events: walk back to the newest CI event,
      // stopping at the newest one already known.
      let from: ReadPosition = END;
      let below = Number.POSITIVE_INFINITY;
      let top: number | undefined;
      const remember = (result: number) => {
        if (top !== undefined) this.lastHeadWalk = { top, result };
        return result;
      };
      for (;;) {
        const page = await collect(
          this.client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: this.scanPageSize }),
        );
        if (top === undefined) {
          const newest = page.find((resolved) => resolved.event)?.event;
          top = newest ? fromEsdbPosition(newest.position, `event ${newest.id}`) : 0;
          // Nothing appended since the last walk (system events included): its answer stands.
          if (this.lastHeadWalk?.top === top) return Math.max(this.lastHeadWalk.result, this.knownCiHead);
        }
        for (const resolved of page) {
          const event = resolved.event;
          if (!event) continue;
          const position = fromEsdbPosition(event.position, `event ${event.id}`);
          if (position >= below) continue;
          below = position;
          if (position <= this.knownCiHead) return remember(this.knownCiHead);
          if (isCiEvent(event, this.streamPrefix)) {
            this.noteCiPosition(position);
            return remember(position);
          }
        }
        if (page.length < this.scanPageSize || below === Number.POSITIVE_INFINITY) return remember(this.knownCiHead);
        from = toEsdbPosition(below);
      }
    });
  }

  /** Counts page by page until the cap or the end of the log (readAll returns as soon as a page holds CI events). */
  async countAfter(position: number, cap: number): Promise<number> {
    let count = 0;
    let after = position;
    while (count < cap) {
      const page = await this.readAll(after, cap - count);
      if (page.length === 0) break;
      count += page.length;
      after = page.at(-1)!.position;
    }
    return Math.min(count, cap);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closed$.next();
    this.closed$.complete();
    await this.client.dispose();
  }

  /** Events of `$all` strictly after `after` (any stream), with their positions. */
  private async readAllPage(
    after: number,
    maxCount: number,
  ): Promise<Array<{ event: EsdbRecordedEvent; position: number }>> {
    // A read from a position includes the event at that position: skip it.
    const page = await collect(
      this.client.readAll({
        direction: FORWARDS,
        fromPosition: after === 0 ? START : toEsdbPosition(after),
        maxCount: after === 0 ? maxCount : maxCount + 1,
      }),
    );
    const events: Array<{ event: EsdbRecordedEvent; position: number }> = [];
    for (const resolved of page) {
      if (!resolved.event) continue;
      const position = fromEsdbPosition(resolved.event.position, `event ${resolved.event.id}`);
      if (position > after) events.push({ event: resolved.event as EsdbRecordedEvent, position });
    }
    return events.slice(0, maxCount);
  }

  /**
   * One catch-up-then-live subscription to `$all`, filtered on the server to
   * CI streams (system streams begin with `$`, so they never match), from the
   * newest CI position known; emits each new CI event's position.
   */
  private subscribeToCiEvents(): Observable<number> {
    return new Observable<number>((subscriber) => {
      // A reader arriving after close() gets a completed stream, not a subscription on a disposed client.
      if (this.closed) return subscriber.complete();
      const from = this.knownCiHead;
      const subscription = this.client.subscribeToAll({
        fromPosition: from === 0 ? END : toEsdbPosition(from),
        filter: streamNameFilter({ prefixes: [this.streamPrefix] }),
      });
      subscription.on('data', (resolved: AllStreamResolvedEvent) => {
        const event = resolved.event;
        if (!event || !isCiEvent(event, this.streamPrefix)) return;
        const position = fromEsdbPosition(event.position, `event ${event.id}`);
        if (position <= from) return;
        this.noteCiPosition(position);
        subscriber.next(position);
      });
      subscription.on('error', (error: Error) => subscriber.error(error));
      subscription.on('end', () => subscriber.error(new Error('the $all subscription ended')));
      return () => {
        subscription.unsubscribe().catch(() => undefined);
      };
    });
  }

  private noteCiPosition(position: number): void {
    if (position > this.knownCiHead) this.knownCiHead = position;
  }

  /** Runs a read, translating the client's errors; `whenMissing` answers for a stream that does not exist. */
  private async guard<T>(what: string, work: () => Promise<T>, whenMissing?: () => T): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (whenMissing && (error as { type?: unknown } | null)?.type === 'stream-not-found') return whenMissing();
      throw this.translate(error, what);
    }
  }

  private translate(error: unknown, what: string): Error {
    const failure = classifyEsdbError(error);
    if (failure.kind === 'unavailable') {
      return new StoreUnavailableError(`could not ${what}: ${failure.hint} (${(error as Error).message})`, {
        cause: error,
      });
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** The snapshot an event of a snapshot stream holds, if it holds one. */
function snapshotOf(event: EsdbRecordedEvent | undefined): StreamSnapshot | undefined {
  const data = event?.data as { revision?: unknown; state?: unknown } | undefined;
  return data && typeof data.revision === 'number' ? { revision: data.revision, state: data.state } : undefined;
}

function snapshotEvent(snapshot: StreamSnapshot): EventData {
  return jsonEvent({ type: 'StreamSnapshot', data: { revision: snapshot.revision, state: snapshot.state } });
}

/** Where a stream's latest snapshot lives: a name no CI stream (`ci-…`) can have, so `$all`'s readers never keep it. */
function snapshotStreamName(streamName: string): string {
  return `snapshot-${streamName}`;
}

/** Where a stream's snapshot milestones live (as snapshotStreamName, out of the CI streams' way). */
function milestoneStreamName(streamName: string): string {
  return `milestone-${streamName}`;
}

/** A read left before its end (break, return, a throw) is cancelled, or its gRPC call runs on. */
async function cancelUnfinished(read: { readonly readableEnded: boolean; cancel(): Promise<void> }): Promise<void> {
  if (!read.readableEnded) await read.cancel().catch(() => undefined);
}

async function collect<T>(read: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of read) items.push(item);
  return items;
}
