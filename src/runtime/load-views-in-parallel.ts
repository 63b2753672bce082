import { Worker } from 'node:worker_threads';
import type { AnyProjection } from '../../projections';
import type { PreparedViewRows, ViewBulkLoad } from '../ports/view-store';
import type { FromRebuildWorker, RebuildWorkerData, ToRebuildWorker } from './rebuild-worker-protocol';

/** Enough for a page of events, the CI states and two batches of rows, with room (in MB). */
const WORKER_HEAP = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 };

export interface LoadViewsInParallelOptions {
  /** The compiled worker script (src/rebuild-worker-thread.ts, built). */
  readonly scriptPath: string;
  readonly eventStoreFile: string;
  /** Stream names splitting the log into the workers' ranges (readByStream's order); one worker per range. */
  readonly splits: readonly string[];
  readonly load: ViewBulkLoad & { writePrepared(rows: PreparedViewRows): Promise<void> };
  readonly projections: readonly AnyProjection[];
  readonly target: number;
  readonly pageSize: number;
  readonly flushSize: number;
  /** Called as the workers go with the number of events they have loaded between them. */
  readonly onProgress: (eventsLoaded: number) => void;
  /** Stops every worker: the load then fails with the signal's reason (the caller aborts it). */
  readonly signal?: AbortSignal;
}

/**
 * A bulk load split by CI across worker threads: each worker reads its range
 * of streams, projects it and turns the writes into rows (the work that
 * scales); this thread, the views' only writer, inserts them as they come.
 * Ranges hold whole streams, so no two workers write the same row, and one
 * worker's batches arrive in the order it made them. The first failure stops
 * every worker and fails the load (the caller aborts it).
 */
export async function loadViewsInParallel(options: LoadViewsInParallelOptions): Promise<number> {
  const bounds = [undefined, ...options.splits];
  const loaded = bounds.map(() => 0);
  const workers: Worker[] = [];
  // One queue of inserts for all workers: one writer, a batch at a time, none after a failure.
  let inserting = Promise.resolve();
  let failed = false;
  const report = () => options.onProgress(loaded.reduce((sum, n) => sum + n, 0));
  // Each worker's 'exit' handler rejects with the first failure: stopping is one more way to fail.
  const failures: ((error: Error) => void)[] = [];
  const stop = () => {
    const reason = options.signal!.reason as unknown;
    const error = reason instanceof Error ? reason : new Error(`the rebuild was stopped: ${String(reason)}`);
    for (const fail of failures) fail(error);
    for (const worker of workers) void worker.terminate();
  };
  options.signal?.throwIfAborted();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    await Promise.all(
      bounds.map(
        (from, index) =>
          new Promise<void>((resolve, reject) => {
            const workerData: RebuildWorkerData = {
              eventStoreFile: options.eventStoreFile,
              projections: options.projections.map((p) => p.name),
              target: options.target,
              pageSize: options.pageSize,
              flushSize: options.flushSize,
              streams: { from, before: bounds[index + 1] },
            };
            // A worker holds a page and two batches at a time: a small heap makes V8 collect rather than grow.
            const worker = new Worker(options.scriptPath, { workerData, resourceLimits: WORKER_HEAP });
            workers.push(worker);
            let failure: Error | undefined;
            let done = false;
            failures.push((error) => {
              failure ??= error;
            });
            worker.on('message', (message: FromRebuildWorker) => {
              if (message.type === 'failed') failure ??= new Error(message.message);
              else if (message.type === 'progress') {
                loaded[index] = message.eventsLoaded;
                report();
              } else if (message.type === 'rows') {
                inserting = inserting
                  .then(() => (failed ? undefined : options.load.writePrepared(message.rows)))
                  .then(() => worker.postMessage({ type: 'inserted' } satisfies ToRebuildWorker))
                  .catch((error: unknown) => {
                    failure ??= error as Error;
                    void worker.terminate();
                  });
              } else {
                loaded[index] = message.eventsLoaded;
                done = true;
              }
            });
            worker.on('error', (error: unknown) => {
              const code = (error as { code?: unknown } | null)?.code;
              failure ??=
                code === 'ERR_WORKER_OUT_OF_MEMORY'
                  ? new Error(
                      `a rebuild worker ran out of its ${WORKER_HEAP.maxOldGenerationSizeMb} MB heap (very large CI documents?): ` +
                        'run it again with a smaller --batch-size, or with --threads 1',
                    )
                  : error instanceof Error
                    ? error
                    : new Error(`a rebuild worker failed: ${JSON.stringify(error)}`);
            });
            worker.on('exit', (code) => {
              void inserting.then(() => {
                if (failure) reject(failure);
                else if (!done)
                  reject(new Error(`a rebuild worker exited with code ${code} before its range was loaded`));
                else resolve();
              });
            });
          }),
      ),
    );
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    await Promise.all(workers.map((worker) => worker.terminate()));
    await inserting;
  }
  report();
  return loaded.reduce((sum, n) => sum + n, 0);
}
