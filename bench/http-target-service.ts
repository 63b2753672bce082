import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../src/adapters/view-store/sqlite-view-store';
import { systemClock } from '../src/ports/clock';
import { startService } from '../src/service';
import { allProjections } from '../projections';

/**
 * Child process: the real service (fsync on every commit), on a free port it
 * reports to the parent. `http-target-service <dir> [log level]`: silent
 * unless a level is given, then the request log is written as `npm start`
 * writes it, to /dev/null instead of stdout.
 */
async function main() {
  const dir = process.argv[2]!;
  const logLevel = process.argv[3];
  const eventStoreFile = path.join(dir, 'events.db');
  const viewStoreFile = path.join(dir, 'views.db');
  // As `npm start` runs it: projections in a worker thread on the same files.
  const service = await startService({
    eventStore: new SqliteEventStore({ filename: eventStoreFile, synchronous: 'full' }),
    catalogue: new SqliteEventStore({ filename: path.join(dir, 'catalogue.db'), synchronous: 'full' }),
    viewStore: new SqliteViewStore({ filename: viewStoreFile, views: allProjections }),
    clock: systemClock,
    logger: logLevel
      ? pino({ level: logLevel, base: { service: 'configledger' } }, pino.destination('/dev/null'))
      : pino({ level: 'silent' }),
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
