import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { allProjections } from '../projections';
import { SqliteEventStore } from './adapters/event-store/sqlite-event-store';
import { SqliteViewBulkRows } from './adapters/view-store/sqlite-view-bulk-rows';
import { loadViewsByStream } from './runtime/load-views-by-stream';
import type { FromRebuildWorker, RebuildWorkerData } from './runtime/rebuild-worker-protocol';

/** A rebuild worker's page cache over the log, in KiB. */
const WORKER_LOG_CACHE_KIB = 2048;

/**
 * A rebuild worker's composition root (see src/runtime/load-views-in-parallel.ts):
 * reads its range of the SQLite log on its own connection, projects it with
 * the same code as every rebuild and catch-up, and hands the rows to the
 * thread that inserts them, never more than two batches ahead of it.
 */
async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as RebuildWorkerData;
  const post = (message: FromRebuildWorker) => port.postMessage(message);
  const projections = allProjections.filter((p) => data.projections.includes(p.name));
  // Read-only: the thread that started the rebuild owns the log's write lock, a worker only reads.
  // A small page cache: the worker reads each page of its range a few times in a row, then never
  // again, and two workers' 16 MB defaults put a 1M-event rebuild's peak RSS within 3 MB of its bound.
  const eventStore = new SqliteEventStore({
    filename: data.eventStoreFile,
    readOnly: true,
    cacheKiB: WORKER_LOG_CACHE_KIB,
  });
  const rows = new SqliteViewBulkRows(projections);
  let waiting = 0;
  port.on('message', () => {
    waiting -= 1;
  });
  const handOver = async () => {
    post({ type: 'rows', rows: rows.take() });
    waiting += 1;
    while (waiting >= 2) await once(port, 'message');
  };
  try {
    const loaded = await loadViewsByStream({
      readByStream: eventStore.readByStream.bind(eventStore),
      load: {
        write: async (writes) => {
          rows.add(writes);
          if (rows.size >= data.flushSize) await handOver();
        },
      },
      projections,
      target: data.target,
      pageSize: data.pageSize,
      streams: data.streams,
      onPage: (eventsLoaded) => post({ type: 'progress', eventsLoaded }),
    });
    if (rows.size > 0) await handOver();
    post({ type: 'done', eventsLoaded: loaded });
  } catch (error) {
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
  } finally {
    await eventStore.close();
    port.close();
  }
}

void main();
