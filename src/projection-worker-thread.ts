import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { Subject, Subscription, merge } from 'rxjs';
import { allProjections } from '../projections';
import { SqliteEventStore } from './adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from './adapters/view-store/sqlite-view-store';
import type { EventStore } from './ports/event-store';
import { ProjectionRunner } from './runtime/projection-runner';
import type {
  FromProjectionWorker,
  ProjectionWorkerData,
  ToProjectionWorker,
} from './runtime/projection-worker-protocol';

/**
 * The worker thread's composition root: the projection runner (see
 * src/runtime/projection-worker.ts) on its own
 * connections to the same SQLite files, so projecting every write no longer
 * takes turns with request handling on the service's event loop.
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
  const starting = runner.start();
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // A stop that arrives while the runner starts waits for it, or the runner would start after.
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

  await starting;
  if (stopping) return;
  post({ type: 'started', status: runner.status() });
  statusReports.add(runner.statusChanges().subscribe((status) => post({ type: 'status', status })));
}

main().catch((error: unknown) => {
  // Thrown errors reach the service by structured cloning, which drops a driver error's message:
  // send the message, then end the worker; the service reports it and starts a new worker.
  const message = error instanceof Error ? error.message : String(error);
  parentPort!.postMessage({ type: 'failed', message } satisfies FromProjectionWorker);
  process.exit(1);
});
