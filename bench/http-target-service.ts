import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../src/adapters/view-store/sqlite-view-store';
import { systemClock } from '../src/ports/clock';
import { startService } from '../src/service';
import { allProjections } from '../projections';

/**
 * Child process: the real service, on a free port it reports to the parent.
 * `http-target-service <dir> [log level] [synchronous]`: silent unless a level
 * other than `silent` is given, then the request log is written as `npm start`
 * writes it, to /dev/null instead of stdout; every commit fsynced unless
 * synchronous is `normal` (SQLITE_SYNCHRONOUS=normal).
 */
async function main() {
  const dir = process.argv[2]!;
  const logLevel = process.argv[3] ?? 'silent';
  const synchronous = process.argv[4] === 'normal' ? 'normal' : 'full';
  const eventStoreFile = path.join(dir, 'events.db');
  const viewStoreFile = path.join(dir, 'views.db');
  // As `npm start` runs it: projections in a worker thread on the same files, the log's commits on a thread of their own.
  const service = await startService({
    eventStore: new SqliteEventStore({
      filename: eventStoreFile,
      synchronous,
      commitThread: { scriptPath: path.resolve(__dirname, '../src/log-commit-thread.js') },
    }),
    catalogue: new SqliteEventStore({ filename: path.join(dir, 'catalogue.db'), synchronous }),
    viewStore: new SqliteViewStore({ filename: viewStoreFile, views: allProjections }),
    clock: systemClock,
    logger:
      logLevel === 'silent'
        ? pino({ level: 'silent' })
        : pino({ level: logLevel, base: { service: 'configledger' } }, pino.destination('/dev/null')),
    projectionWorker: { eventStoreFile, viewStoreFile },
  });
  const server = service.app.listen(0, '127.0.0.1', () => {
    process.send!({ port: (server.address() as AddressInfo).port });
  });
  process.on('message', async (message) => {
    if (message === 'stop') {
      server.close();
      await service.stop();
      process.exit(0);
    }
  });
}

void main();
