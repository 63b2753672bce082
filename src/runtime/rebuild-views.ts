import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { AnyProjection } from '../../projections';
import type { EventStore } from '../ports/event-store';
import type { ViewStore } from '../ports/view-store';
import { loadViewsByStream } from './load-views-by-stream';
import { loadViewsInParallel } from './load-views-in-parallel';
import { ProjectionRunner } from './projection-runner';

/** Rows a rebuild worker prepares before handing them over: one insert transaction's worth. */
const WORKER_BATCH_ROWS = 2_500;

/** Worker threads a bulk load needs at most: its one writer keeps up with two or three of them. */
const MAX_USEFUL_THREADS = 4;

/**
 * The worker threads a bulk load takes unless told: one per core, at most
 * four. The views' one writer inserts what two or three workers project (in
 * docs/performance.md its ceiling is under twice the one-thread rebuild's
 * rate): on a machine of many cores each worker more is only memory, a heap
 * of up to 80 MB.
 */
export function defaultRebuildThreads(): number {
  return Math.min(availableParallelism(), MAX_USEFUL_THREADS);
}

export interface RebuildProgress {
  /** Position every view has applied (a bulk load reaches the target only when it finishes). */
  readonly position: number;
  /** The log's head when the rebuild began: the rebuild ends there. */
  readonly target: number;
  readonly eventsApplied: number;
  /** 0..1, by position (EventStoreDB positions are byte offsets, so this is a fraction of the log's bytes). */
  readonly fraction: number;
  readonly elapsedMs: number;
}

export interface RebuildOptions {
  readonly eventStore: EventStore;
  readonly viewStore: ViewStore;
  readonly projections: readonly AnyProjection[];
  readonly logger: Logger;
  readonly batchSize?: number;
  readonly progressIntervalMs?: number;
  readonly onProgress?: (progress: RebuildProgress) => void;
  /**
   * Stops a bulk load (the service stopping while it loads): one thread
   * between pages, worker threads at once. The rebuild then fails with the
   * signal's reason, and the load is aborted as on any failure.
   */
  readonly signal?: AbortSignal;
  /**
   * Bulk-load with worker threads, each projecting its own range of CIs,
   * where the stores allow it (the embedded SQLite ones): the worker script
   * opens the log at `eventStoreFile`. One thread, or absent: no workers.
   */
  readonly parallel?: {
    readonly threads: number;
    readonly scriptPath: string;
    readonly eventStoreFile: string;
    /** Rows a worker prepares before handing them over; 2,500 unless told. */
    readonly batchRows?: number;
  };
}

/**
 * Drops every view and rebuilds it from the log up to the head at the start.
 * Where both stores allow it (SQLite), the views are bulk-loaded from the log
 * read one CI at a time; otherwise the service's own projection runner
 * replays the log in position order. Both project with the same code, so a
 * rebuild and a live catch-up cannot disagree. Interrupting it loses
 * nothing: the views are derived, and the service continues from the
 * checkpoints the rebuild reached (0 for an unfinished bulk load).
 */
export async function rebuildViews(options: RebuildOptions): Promise<RebuildProgress> {
  const { eventStore, viewStore } = options;
  const started = Date.now();
  const target = await eventStore.headPosition();
  const readByStream = eventStore.readByStream?.bind(eventStore);
  const startBulkLoad = viewStore.startBulkLoad?.bind(viewStore);
  return readByStream && startBulkLoad
    ? bulkRebuild(options, { readByStream, startBulkLoad, target, started })
    : replayRebuild(options, target, started);
}

async function bulkRebuild(
  options: RebuildOptions,
  bulk: {
    readByStream: NonNullable<EventStore['readByStream']>;
    startBulkLoad: NonNullable<ViewStore['startBulkLoad']>;
    target: number;
    started: number;
  },
): Promise<RebuildProgress> {
  const { eventStore, projections } = options;
  const { target, started } = bulk;
  // Stream order is not position order: progress is counted in events.
  const total = await eventStore.countAfter(0, Number.MAX_SAFE_INTEGER);
  let loaded = 0;
  let lastReport = 0;
  const progress = (position: number): RebuildProgress => ({
    position,
    target,
    eventsApplied: loaded,
    fraction: total === 0 ? 1 : Math.min(1, loaded / total),
    elapsedMs: Date.now() - started,
  });
  const onPage = (eventsLoaded: number) => {
    loaded = eventsLoaded;
    const now = Date.now();
    if (now - lastReport < (options.progressIntervalMs ?? 250)) return;
    lastReport = now;
    options.onProgress?.(progress(0));
  };
  const pageSize = options.batchSize ?? 1000;
  const load = await bulk.startBulkLoad(projections.map((p) => ({ projection: p.name, version: p.version })));
  try {
    const { parallel } = options;
    const writePrepared = load.writePrepared?.bind(load);
    const splits =
      parallel && parallel.threads > 1 && eventStore.streamSplits && writePrepared
        ? await eventStore.streamSplits(target, parallel.threads)
        : [];
    if (parallel && writePrepared && splits.length > 0) {
      await loadViewsInParallel({
        ...parallel,
        splits,
        load: Object.assign(load, { writePrepared }),
        projections,
        target,
        pageSize,
        flushSize: parallel.batchRows ?? WORKER_BATCH_ROWS,
        onProgress: onPage,
        ...(options.signal && { signal: options.signal }),
      });
    } else {
      const onPageOrStop = (eventsLoaded: number) => {
        options.signal?.throwIfAborted();
        onPage(eventsLoaded);
      };
      await loadViewsByStream({
        readByStream: bulk.readByStream,
        load,
        projections,
        target,
        pageSize,
        onPage: onPageOrStop,
      });
    }
    await load.finish(projections.map((p) => ({ projection: p.name, version: p.version, position: target })));
  } catch (error) {
    await load.abort();
    throw error;
  }
  const done = progress(target);
  options.onProgress?.(done);
  return done;
}

/** Replays the log in position order with the service's projection runner. */
async function replayRebuild(options: RebuildOptions, target: number, started: number): Promise<RebuildProgress> {
  const { eventStore, viewStore, projections, logger } = options;
  for (const projection of projections) await viewStore.resetView(projection.name, projection.version);
  const runner = new ProjectionRunner(eventStore, viewStore, projections, logger, {
    batchSize: options.batchSize ?? 1000,
    pollIntervalMs: 100,
  });
  const progress = (): RebuildProgress => {
    const status = runner.status();
    return {
      position: status.position,
      target,
      eventsApplied: status.eventsApplied,
      fraction: target === 0 ? 1 : Math.min(1, status.position / target),
      elapsedMs: Date.now() - started,
    };
  };
  await runner.start();
  const ticker = setInterval(() => options.onProgress?.(progress()), options.progressIntervalMs ?? 250);
  try {
    for (;;) {
      if (await runner.waitForPosition(target, 1000)) break;
      const { state, lastError } = runner.status();
      if (state === 'retrying') logger.warn({ lastError }, 'rebuild is retrying after a failure');
    }
  } finally {
    clearInterval(ticker);
    await runner.stop();
  }
  const done = progress();
  options.onProgress?.(done);
  return done;
}
