import { LRUCache } from 'lru-cache';
import { BehaviorSubject, Subject, map, merge, type Observable, type Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { AnyProjection } from '../../projections';
import { toRecordedCiEvent } from '../application/ci-event-codec';
import type { EventStore, RecordedEvent } from '../ports/event-store';
import type { ProjectionCheckpoint, ViewDoc, ViewProgress, ViewStore, ViewWrite } from '../ports/view-store';
import { followLog } from './follow-log';
import { projectEvents, type ViewState } from './project-events';
import { waitForPosition } from './wait-for-position';

export interface ProjectionRunnerOptions {
  /** Events read and applied per transaction. */
  readonly batchSize?: number;
  /** How often to look for new events when no append notification arrives (other writers). */
  readonly pollIntervalMs?: number;
  /** First retry delay after a failure; doubles up to maxRetryDelayMs. */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /**
   * How many CIs' states each view keeps in memory between pages (0: load
   * them from the view store for every page). Saves a view-store read per
   * event for CIs written again soon, as live writes usually are.
   */
  readonly stateCacheSize?: number;
}

/** `standby`: another instance runs the projections (it holds their lease); this one follows its checkpoints. */
export type RunnerState = 'stopped' | 'catching-up' | 'live' | 'retrying' | 'standby';

export interface ProjectionStatus {
  readonly state: RunnerState;
  readonly position: number;
  readonly eventsApplied: number;
  readonly lastError: string | undefined;
}

/** What the service needs of its projections, whether they run in this thread or in a worker. */
export interface RunningProjections extends ViewProgress {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): ProjectionStatus;
}

/**
 * Runs every projection over the log (see followLog): for each page read from
 * the lowest checkpoint, project each event into the views that have not
 * applied it, then write the page's documents and checkpoints in one batch.
 */
export class ProjectionRunner implements RunningProjections {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly checkpoints = new Map<string, ProjectionCheckpoint>();
  /** The state of each recently projected CI, per view; it mirrors what the store holds. */
  private readonly stateCache: Map<string, LRUCache<string, readonly ViewDoc[]>> | undefined;
  private readonly position$ = new BehaviorSubject<number>(0);
  private readonly stop$ = new Subject<void>();
  private readonly stateChanged$ = new Subject<void>();
  private subscription: Subscription | undefined;
  private inFlight: Promise<unknown> = Promise.resolve();
  private lastError: Error | undefined;
  /** Events read and applied since start (progress of long catch-ups and rebuilds). */
  private eventsApplied = 0;
  private state: RunnerState = 'stopped';

  constructor(
    private readonly eventStore: EventStore,
    private readonly viewStore: ViewStore,
    private readonly projections: readonly AnyProjection[],
    private readonly logger: Logger,
    options: ProjectionRunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    const cacheSize = options.stateCacheSize ?? 1000;
    this.stateCache =
      cacheSize > 0 ? new Map(projections.map((p) => [p.name, new LRUCache({ max: cacheSize })])) : undefined;
  }

  /** Resets views whose projection version changed, then follows the log until stop(). */
  async start(): Promise<void> {
    await this.prepareCheckpoints();
    this.setState('catching-up');
    this.subscription = this.run().subscribe({
      error: (error: unknown) => this.logger.fatal({ err: error }, 'projection runner stopped on an error'),
    });
  }

  /** Lets the batch in flight finish, then stops reading. */
  async stop(): Promise<void> {
    this.stop$.next();
    this.subscription?.unsubscribe();
    await this.inFlight.catch(() => undefined);
    this.setState('stopped');
  }

  /** The status now, then again whenever the position or the state changes. */
  statusChanges(): Observable<ProjectionStatus> {
    return merge(this.position$, this.stateChanged$).pipe(map(() => this.status()));
  }

  private setState(state: RunnerState): void {
    this.state = state;
    this.stateChanged$.next();
  }

  currentPosition(): number {
    return this.position$.value;
  }

  waitForPosition(position: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return waitForPosition(this.position$, position, timeoutMs, signal);
  }

  status(): ProjectionStatus {
    return {
      state: this.state,
      position: this.position$.value,
      eventsApplied: this.eventsApplied,
      lastError: this.lastError?.message,
    };
  }

  private async prepareCheckpoints(): Promise<void> {
    const stored = new Map((await this.viewStore.readCheckpoints()).map((cp) => [cp.projection, cp]));
    for (const projection of this.projections) {
      const checkpoint = stored.get(projection.name);
      if (!checkpoint || checkpoint.version !== projection.version) {
        if (checkpoint) {
          this.logger.warn(
            { view: projection.name, from: checkpoint.version, to: projection.version },
            'projection version changed: rebuilding the view from the log',
          );
        }
        await this.viewStore.resetView(projection.name, projection.version);
        this.checkpoints.set(projection.name, {
          projection: projection.name,
          version: projection.version,
          position: 0,
        });
      } else {
        this.checkpoints.set(projection.name, checkpoint);
      }
    }
    this.position$.next(this.lowestCheckpoint());
  }

  private run() {
    return followLog(this.eventStore, {
      after: () => this.lowestCheckpoint(),
      handlePage: (page) => this.track(this.applyPage(page)),
      onCaughtUp: () => {
        if (this.state !== 'live') {
          this.setState('live');
          this.lastError = undefined;
          this.logger.info({ position: this.lowestCheckpoint() }, 'views are up to date with the log');
        }
      },
      onRetry: (error, attempt, delayMs) => {
        this.lastError = error;
        this.setState('retrying');
        this.logger.error(
          { err: error, attempt, retryInMs: delayMs },
          'projection failed; retrying from the last checkpoint',
        );
      },
      batchSize: this.batchSize,
      pollIntervalMs: this.pollIntervalMs,
      retryDelayMs: this.retryDelayMs,
      maxRetryDelayMs: this.maxRetryDelayMs,
      stop$: this.stop$,
      logger: this.logger,
    });
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight = work;
    return work;
  }

  private async applyPage(page: readonly RecordedEvent[]): Promise<void> {
    const events = page.map(toRecordedCiEvent);
    const ciIds = events.map((event) => event.ciId);
    const writes: ViewWrite[] = [];
    const checkpoints: ProjectionCheckpoint[] = [];
    const states = new Map<string, ViewState>();
    for (const projection of this.projections) {
      const checkpoint = this.checkpoints.get(projection.name)!;
      const pending = events.filter((event) => event.position > checkpoint.position);
      if (pending.length === 0) continue;
      const state = await this.loadState(projection.name, ciIds);
      writes.push(...projectEvents(projection, state, pending));
      checkpoints.push({ ...checkpoint, position: events.at(-1)!.position });
      states.set(projection.name, state);
    }
    try {
      await this.viewStore.applyBatch({ writes, checkpoints });
    } catch (error) {
      // Whether any of the batch landed is unknown: forget, and read the store again on retry.
      for (const cache of this.stateCache?.values() ?? []) cache.clear();
      throw error;
    }
    for (const [view, state] of states) {
      const cache = this.stateCache?.get(view);
      if (cache) for (const [ciId, docs] of state) cache.set(ciId, docs);
    }
    for (const checkpoint of checkpoints) this.checkpoints.set(checkpoint.projection, checkpoint);
    this.eventsApplied += page.length;
    this.position$.next(this.lowestCheckpoint());
  }

  /** Each CI's state: from the cache, and from the store for CIs it does not hold. */
  private async loadState(view: string, ciIds: readonly string[]): Promise<ViewState> {
    const cache = this.stateCache?.get(view);
    if (!cache) return this.viewStore.loadState(view, ciIds);
    const state: ViewState = new Map();
    const missing: string[] = [];
    for (const ciId of new Set(ciIds)) {
      const docs = cache.get(ciId);
      if (docs) state.set(ciId, docs);
      else missing.push(ciId);
    }
    if (missing.length > 0) {
      for (const [ciId, docs] of await this.viewStore.loadState(view, missing)) state.set(ciId, docs);
    }
    return state;
  }

  private lowestCheckpoint(): number {
    let lowest = Number.POSITIVE_INFINITY;
    for (const checkpoint of this.checkpoints.values()) lowest = Math.min(lowest, checkpoint.position);
    return lowest === Number.POSITIVE_INFINITY ? 0 : lowest;
  }
}
