import { Subject, interval, takeUntil, type Subscription } from 'rxjs';
import type { Logger } from 'pino';
import { changeRecord } from '../domain';
import { toRecordedCiEvent } from '../application/ci-event-codec';
import { FoldedDocuments } from '../application/folded-documents';
import type { Clock } from '../ports/clock';
import type { CheckpointStore } from '../ports/checkpoint-store';
import type { EventStore, RecordedEvent } from '../ports/event-store';
import type { Publisher, RelayItem } from '../ports/publisher';
import { followLog } from './follow-log';

export interface RelayRunnerOptions {
  readonly batchSize?: number;
  readonly pollIntervalMs?: number;
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /** How many CIs' documents are kept folded between pages (a CI not kept is folded from its stream). */
  readonly foldedCacheSize?: number;
  /** How often the lag is logged while the relay is behind. */
  readonly lagLogIntervalMs?: number;
}

/** Lag beyond this many events is reported as this many. */
export const LAG_COUNT_CAP = 100_000;

/** Where a publisher's relay keeps its position (shared by every instance). */
export function relayCheckpointName(publisher: string): string {
  return `relay:${publisher}`;
}

export interface RelayStatus {
  readonly publisher: string;
  /** `standby`: another instance runs the relay (it holds the relay lease). */
  readonly state: 'stopped' | 'catching-up' | 'live' | 'retrying' | 'standby';
  readonly position: number;
  readonly lagEvents: number;
  /** Age of the oldest event not yet published, 0 when caught up. */
  readonly lagSeconds: number;
  readonly lastError: string | undefined;
}

/**
 * Relays the log to a Publisher from its own checkpoint: read a page → build
 * one message per event (with the CI's state right after it, folded from the
 * log itself: the relay reads no view and waits for no projection) → publish
 * → save the checkpoint only once the publisher confirmed. A crash between publish and checkpoint re-publishes that page
 * (at-least-once; consumers de-duplicate on the event id); nothing is ever
 * skipped, and items keep log order, so per-CI order holds. Never runs inside
 * an HTTP request.
 */
export class RelayRunner {
  private readonly stop$ = new Subject<void>();
  private subscription: Subscription | undefined;
  private inFlight: Promise<unknown> = Promise.resolve();
  /** Failed publish attempts since the relay was last live. */
  private failedAttempts = 0;
  private checkpoint = 0;
  private lagEvents = 0;
  private oldestPendingAt: number | undefined;
  private state: RelayStatus['state'] = 'stopped';
  private lastError: Error | undefined;
  private readonly options: Required<RelayRunnerOptions>;
  private readonly documents: FoldedDocuments;

  constructor(
    private readonly deps: {
      readonly eventStore: EventStore;
      readonly checkpoints: CheckpointStore;
      readonly publisher: Publisher;
      readonly clock: Clock;
      readonly logger: Logger;
    },
    options: RelayRunnerOptions = {},
  ) {
    this.options = {
      batchSize: options.batchSize ?? 500,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      retryDelayMs: options.retryDelayMs ?? 200,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
      foldedCacheSize: options.foldedCacheSize ?? 10_000,
      lagLogIntervalMs: options.lagLogIntervalMs ?? 60_000,
    };
    this.documents = new FoldedDocuments(deps.eventStore, this.options.foldedCacheSize);
  }

  private get checkpointName(): string {
    return relayCheckpointName(this.deps.publisher.name);
  }

  async start(): Promise<void> {
    this.checkpoint = await this.deps.checkpoints.loadCheckpoint(this.checkpointName);
    this.state = 'catching-up';
    this.deps.logger.info({ publisher: this.deps.publisher.name, from: this.checkpoint }, 'relay starting');
    this.subscription = followLog(this.deps.eventStore, {
      after: () => this.checkpoint,
      handlePage: (page) => this.track(this.relayPage(page)),
      onCaughtUp: () => {
        this.oldestPendingAt = undefined;
        if (this.state !== 'live') {
          if (this.state === 'retrying') {
            this.deps.logger.warn(
              { position: this.checkpoint, failedAttempts: this.failedAttempts },
              `relay publishing again after ${this.failedAttempts} failed attempts`,
            );
          }
          this.state = 'live';
          this.lastError = undefined;
          this.failedAttempts = 0;
          this.deps.logger.info({ position: this.checkpoint }, 'relay caught up with the log');
        }
      },
      // An outage is one error line when it starts and one line when it ends; the retries in
      // between go to debug, counted, with the message only (the first line has the stack).
      onRetry: (error, attempt, delayMs) => {
        this.lastError = error;
        this.failedAttempts += 1;
        if (this.state !== 'retrying') {
          this.deps.logger.error(
            { err: error, retryInMs: delayMs, position: this.checkpoint },
            'relay could not publish; retrying from its checkpoint with backoff (further failures are logged at debug)',
          );
        } else {
          this.deps.logger.debug(
            { error: error.message, attempt, failedAttempts: this.failedAttempts, retryInMs: delayMs },
            'relay retry failed',
          );
        }
        this.state = 'retrying';
      },
      batchSize: this.options.batchSize,
      pollIntervalMs: this.options.pollIntervalMs,
      retryDelayMs: this.options.retryDelayMs,
      maxRetryDelayMs: this.options.maxRetryDelayMs,
      stop$: this.stop$,
      logger: this.deps.logger,
    }).subscribe({
      error: (error: unknown) => this.deps.logger.fatal({ err: error }, 'relay stopped on an error'),
    });
    this.subscription.add(
      interval(this.options.lagLogIntervalMs)
        .pipe(takeUntil(this.stop$))
        .subscribe(() => {
          void this.status().then((status) => {
            if (status.lagEvents > 0) this.deps.logger.info(status, 'relay is behind the log');
          });
        }),
    );
  }

  /** Lets the page in flight finish (publish and checkpoint), then flushes and closes the publisher. */
  async stop(): Promise<void> {
    this.stop$.next();
    this.subscription?.unsubscribe();
    await this.inFlight.catch(() => undefined);
    this.state = 'stopped';
    await this.deps.publisher.close();
  }

  async status(): Promise<RelayStatus> {
    // Counted up to a cap rather than subtracted: positions need not be consecutive numbers.
    this.lagEvents = await this.deps.eventStore.countAfter(this.checkpoint, LAG_COUNT_CAP).catch(() => this.lagEvents);
    const lagEvents = this.lagEvents;
    const lagSeconds =
      lagEvents > 0 && this.oldestPendingAt !== undefined
        ? Math.max(0, (this.deps.clock.now().getTime() - this.oldestPendingAt) / 1000)
        : 0;
    return {
      publisher: this.deps.publisher.name,
      state: this.state,
      position: this.checkpoint,
      lagEvents,
      lagSeconds,
      lastError: this.lastError?.message,
    };
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight = work;
    return work;
  }

  private async relayPage(page: readonly RecordedEvent[]): Promise<void> {
    const events = page.map(toRecordedCiEvent);
    this.oldestPendingAt = Date.parse(events[0]!.recordedAt);
    const last = events.at(-1)!;
    const documents = await this.documents.after(events);
    const items: RelayItem[] = events.map((event, index) => {
      const document = documents[index]!;
      return {
        change: { eventId: event.eventId, ...changeRecord(event, document.type) },
        state: {
          id: event.ciId,
          ...document,
          revision: event.revision,
          position: event.position,
          recordedAt: event.recordedAt,
        },
      };
    });
    await this.deps.publisher.publish(items);
    await this.deps.checkpoints.saveCheckpoint(this.checkpointName, last.position);
    this.checkpoint = last.position;
  }
}
