import type { Logger } from 'pino';
import type { AnyProjection } from '../../projections';
import type { EventStore } from '../ports/event-store';
import type { ViewStore } from '../ports/view-store';
import { ProjectionRunner } from './projection-runner';

export interface RebuildProgress {
  /** Position of the last event applied to every view. */
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
}

/**
 * Drops every view and rebuilds it from the log up to the head at the start,
 * with the same runner the service uses (so a rebuild and a live catch-up
 * cannot disagree). Interrupting it loses nothing: the views are derived,
 * and the service continues from the checkpoints the rebuild reached.
 */
export async function rebuildViews(options: RebuildOptions): Promise<RebuildProgress> {
  const { eventStore, viewStore, projections, logger } = options;
  const started = Date.now();
  const target = await eventStore.headPosition();
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
