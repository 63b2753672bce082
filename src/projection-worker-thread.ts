import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { Subject, Subscription, merge } from 'rxjs';
import { allProjections } from '../projections';
import { SqliteEventStore } from './adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from './adapters/view-store/sqlite-view-store';
import type { EventStore } from './ports/event-store';
import { loadStaleViews } from './runtime/load-stale-views';
import { ProjectionRunner, type ProjectionStatus } from './runtime/projection-runner';
import { defaultRebuildThreads } from './runtime/rebuild-views';
import type {
  FromProjectionWorker,
  ProjectionWorkerData,
  ToProjectionWorker,
} from './runtime/projection-worker-protocol';

/**
 * The worker thread's composition root: the projection runner (see
 * src/runtime/projection-worker.ts) on its own
 * connections to the same SQLite files, so projecting every write no longer
 * takes turns with request handling on the service's event loop. Views that
 * hold nothing of the log yet are bulk-loaded first (loadStaleViews), the
 * log projected by rebuild workers that this thread starts.
 */
async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as ProjectionWorkerData;
  const post = (message: FromProjectionWorker) => port.postMessage(message);
  const logger = pino({ level: data.logLevel, base: { service: 'configledger', component: 'projections' } });
  const store = new SqliteEventStore({ filename: data.eventStoreFile });
  const viewStore = new SqliteViewStore({ filename: data.viewStoreFile, views: allProjections });
  const appended = new Subject<number>();
  // The service's appends happen on its own connection; it forwards their notifications.
  const eventStore: EventStore = Object.assign(Object.create(store) as SqliteEventStore, {
    appended$: merge(store.appended$, appended),
  });
  const runner = new ProjectionRunner(eventStore, viewStore, allProjections, logger, data.runner);

  const statusReports = new Subscription();
  const stopped = new AbortController();
  const loadingStatus = (eventsApplied: number): ProjectionStatus => ({
    state: 'catching-up',
    position: 0,
    eventsApplied,
    lastError: undefined,
  });
  // Statuses count the events the bulk load applied too: "applied since start", however applied.
  let bulkLoaded = 0;
  const withBulkLoaded = (status: ProjectionStatus): ProjectionStatus => ({
    ...status,
    eventsApplied: status.eventsApplied + bulkLoaded,
  });
  const starting = (async () => {
    const loaded = await loadStaleViews({
      eventStore: store,
      viewStore,
      projections: allProjections,
      logger,
      signal: stopped.signal,
      // The service is not ready until the load ends: project on worker threads, as `npm run rebuild-views` does.
      parallel: {
        threads: defaultRebuildThreads(),
        scriptPath: path.join(__dirname, 'rebuild-worker-thread.js'),
        eventStoreFile: data.eventStoreFile,
      },
      onStart: () => post({ type: 'loading', status: loadingStatus(0) }),
      onProgress: (progress) => post({ type: 'status', status: loadingStatus(progress.eventsApplied) }),
    });
    bulkLoaded = loaded?.eventsApplied ?? 0;
    await runner.start();
  })();
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopped.abort(new Error('the service is stopping'));
    stopping ??= (async () => {
      // A stop that arrives while the views load or the runner starts waits for that (a load stops at
      // its next page), or the runner would start after.
      await starting.catch(() => undefined);
      statusReports.unsubscribe();
      await runner.stop();
      await store.close();
      await viewStore.close();
      post({ type: 'stopped' });
      port.close();
    })();
    return stopping;
  };
  port.on('message', (message: ToProjectionWorker) => {
    if (message.type === 'appended') appended.next(message.position);
    else void stop();
  });

  try {
    await starting;
  } catch (error) {
    if (stopping) return; // a bulk load stopped by stop(), which reports
    throw error;
  }
  if (stopping) return;
  post({ type: 'started', status: withBulkLoaded(runner.status()) });
  statusReports.add(
    runner.statusChanges().subscribe((status) => post({ type: 'status', status: withBulkLoaded(status) })),
  );
}

main().catch((error: unknown) => {
  // Thrown errors reach the service by structured cloning, which drops a driver error's message:
  // send the message, then end the worker; the service reports it and starts a new worker.
  const message = error instanceof Error ? error.message : String(error);
  parentPort!.postMessage({ type: 'failed', message } satisfies FromProjectionWorker);
  process.exit(1);
});
