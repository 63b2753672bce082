import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import type { ProjectionRunnerOptions, ProjectionStatus, RunningProjections } from './projection-runner';
import type { FromProjectionWorker, ProjectionWorkerData, ToProjectionWorker } from './projection-worker-protocol';
import { waitForPosition } from './wait-for-position';

export interface ProjectionWorkerOptions {
  readonly eventStoreFile: string;
  readonly viewStoreFile: string;
  /** The service's appends, forwarded to the worker as wake-ups. */
  readonly appended$: Observable<number>;
  readonly logger: Logger;
  readonly runner?: ProjectionRunnerOptions;
  /** The compiled worker script (src/projection-worker-thread.ts, built). */
  readonly scriptPath: string;
  /** First delay before replacing a worker that died; doubles up to maxRestartDelayMs. */
  readonly restartDelayMs?: number;
  readonly maxRestartDelayMs?: number;
}

/**
 * Runs the projection runner in a worker thread on the SQLite files, and
 * stands in for it on the service's side: position, status, waiting for a
 * position. With the embedded stores every write is projected into three
 * views in the same process; in a worker that work uses the second core
 * instead of taking turns with request handling. SQLite's WAL lets the
 * service read the views while the worker writes them.
 *
 * A worker that dies is reported (state `retrying`, its error) and replaced
 * after a backoff; it resumes from the views' checkpoints.
 */
export class ProjectionWorker implements RunningProjections {
  private readonly position$ = new BehaviorSubject<number>(0);
  private latest: ProjectionStatus = { state: 'stopped', position: 0, eventsApplied: 0, lastError: undefined };
  private worker: Worker | undefined;
  private appended: Subscription | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly initialRestartDelayMs: number;
  private restartDelayMs: number;
  private stopped = true;

  constructor(private readonly options: ProjectionWorkerOptions) {
    this.initialRestartDelayMs = options.restartDelayMs ?? 1000;
    this.restartDelayMs = this.initialRestartDelayMs;
  }

  /** Resolves once the worker follows the log; rejects if the first worker cannot start. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.spawn();
    this.appended = this.options.appended$.subscribe((position) => this.send({ type: 'appended', position }));
  }

  /** Lets the worker finish its batch in flight and close its stores. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.appended?.unsubscribe();
    const worker = this.worker;
    if (worker) {
      const exited = once(worker, 'exit');
      this.send({ type: 'stop' });
      await exited;
    }
    this.latest = { ...this.latest, state: 'stopped' };
  }

  currentPosition(): number {
    return this.position$.value;
  }

  waitForPosition(position: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return waitForPosition(this.position$, position, timeoutMs, signal);
  }

  status(): ProjectionStatus {
    return this.latest;
  }

  private send(message: ToProjectionWorker): void {
    this.worker?.postMessage(message);
  }

  private spawn(): Promise<void> {
    const { options } = this;
    const workerData: ProjectionWorkerData = {
      eventStoreFile: options.eventStoreFile,
      viewStoreFile: options.viewStoreFile,
      logLevel: options.logger.level,
      runner: options.runner ?? {},
    };
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(options.scriptPath, { workerData });
      this.worker = worker;
      let started = false;
      let failure: Error | undefined;
      worker.on('message', (message: FromProjectionWorker) => {
        if (message.type === 'stopped') return;
        if (message.type === 'failed') {
          failure = new Error(message.message);
          return;
        }
        this.update(message.status);
        // A bulk load of empty views can take minutes: the service starts meanwhile (not ready until it ends).
        if (message.type === 'started' || message.type === 'loading') {
          started = true;
          this.restartDelayMs = this.initialRestartDelayMs;
          resolve();
        }
      });
      worker.on('error', (error: unknown) => {
        // A driver's error class arrives as a plain object; keep what it says.
        failure ??=
          error instanceof Error ? error : new Error(`the projection worker failed: ${JSON.stringify(error)}`);
      });
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        const error = failure ?? new Error(`the projection worker exited with code ${code}`);
        if (!started) reject(error);
        else if (!this.stopped) this.crashed(error);
      });
    });
  }

  private update(status: ProjectionStatus): void {
    this.latest = status;
    // A new worker starts from the stored checkpoints, never behind what was reported.
    if (status.position > this.position$.value) this.position$.next(status.position);
  }

  private crashed(error: Error): void {
    if (this.stopped) return;
    this.latest = { ...this.latest, state: 'retrying', lastError: error.message };
    this.options.logger.error(
      { err: error, retryInMs: this.restartDelayMs },
      'the projection worker stopped; starting a new one from the checkpoints',
    );
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, this.options.maxRestartDelayMs ?? 30_000);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      this.spawn().catch((startError: unknown) => this.crashed(startError as Error));
    }, delay);
  }
}
