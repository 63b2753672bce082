import type { Logger } from 'pino';
import type { AnyProjection } from '../../projections';
import type { EventStore } from '../ports/event-store';
import type { ViewStore } from '../ports/view-store';
import { rebuildViews, type RebuildOptions, type RebuildProgress } from './rebuild-views';

/**
 * The projections whose views hold nothing of the log yet: no checkpoint,
 * one of another projection version (the runner would reset the view), or
 * one at 0 (a new or emptied views file, a changed table layout, a rebuild
 * that was cut short).
 */
export async function staleProjections(
  viewStore: ViewStore,
  projections: readonly AnyProjection[],
): Promise<AnyProjection[]> {
  const stored = new Map((await viewStore.readCheckpoints()).map((checkpoint) => [checkpoint.projection, checkpoint]));
  return projections.filter((projection) => {
    const checkpoint = stored.get(projection.name);
    return !checkpoint || checkpoint.version !== projection.version || checkpoint.position === 0;
  });
}

export interface LoadStaleViewsOptions {
  readonly eventStore: EventStore;
  readonly viewStore: ViewStore;
  readonly projections: readonly AnyProjection[];
  readonly logger: Logger;
  /** Stops the load between pages; it then fails, leaving those views empty at checkpoint 0. */
  readonly signal?: AbortSignal;
  /** Called before the load begins, when there is one. */
  readonly onStart?: () => void;
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** How often `onProgress` is called (default 1 s) and a progress line logged (default 5 s). */
  readonly progressIntervalMs?: number;
  readonly progressLogIntervalMs?: number;
  /** Events per page of the load (rebuildViews' default when absent). */
  readonly batchSize?: number;
  /** Worker threads projecting the log, as rebuildViews takes them; none when absent. */
  readonly parallel?: RebuildOptions['parallel'];
}

/**
 * Before the projection runner starts: the views that hold nothing of a
 * non-empty log are bulk-loaded up to its head, where both stores allow it
 * (the embedded SQLite ones), as `npm run rebuild-views` does: on worker
 * threads where `parallel` is given, on this one otherwise. The runner's
 * catch-up writes each event with upserts into views whose indexes are all
 * in place, and slows as they grow; the bulk load inserts
 * in key order and builds the indexes once. The runner then goes on from
 * the head the load reached. Resolves with the load's progress, or
 * undefined when there was nothing to load this way.
 */
export async function loadStaleViews(options: LoadStaleViewsOptions): Promise<RebuildProgress | undefined> {
  const { eventStore, viewStore, logger } = options;
  if (!eventStore.readByStream || !viewStore.startBulkLoad) return undefined;
  const stale = await staleProjections(viewStore, options.projections);
  if (stale.length === 0 || (await eventStore.headPosition()) === 0) return undefined;
  const views = stale.map((projection) => projection.name);
  logger.info({ views }, 'these views hold nothing of the log yet: loading them in bulk before following it');
  options.onStart?.();
  // At 1M events the load takes a minute or more, while the service is not ready: say how far it is.
  const logEveryMs = options.progressLogIntervalMs ?? 5000;
  let lastLogged = Date.now();
  const onProgress = (progress: RebuildProgress) => {
    options.onProgress?.(progress);
    if (progress.fraction >= 1 || Date.now() - lastLogged < logEveryMs) return;
    lastLogged = Date.now();
    logger.info(
      { views, events: progress.eventsApplied, percent: Math.floor(progress.fraction * 100) },
      'loading views in bulk',
    );
  };
  const done = await rebuildViews({
    eventStore,
    viewStore,
    projections: stale,
    logger,
    progressIntervalMs: options.progressIntervalMs ?? 1000,
    onProgress,
    ...(options.batchSize !== undefined && { batchSize: options.batchSize }),
    ...(options.signal && { signal: options.signal }),
    ...(options.parallel && { parallel: options.parallel }),
  });
  logger.info(
    { views, events: done.eventsApplied, position: done.position, ms: done.elapsedMs },
    'views loaded in bulk; following the log from there',
  );
  return done;
}
