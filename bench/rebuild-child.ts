import path from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { allProjections } from '../projections';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../src/adapters/view-store/sqlite-view-store';
import { ProjectionRunner } from '../src/runtime/projection-runner';
import { nowMs } from './stats';

/**
 * Child process, so its peak RSS is the rebuild's alone:
 *   rebuild-child <dir> raw      → events/s of a raw read of the log
 *   rebuild-child <dir> rebuild  → events/s of rebuilding every view from the log into a fresh views file
 */
async function main() {
  const [dir, mode, viewsFile] = process.argv.slice(2) as [string, 'raw' | 'rebuild', string];
  if (mode === 'raw') {
    const db = new Database(path.join(dir, 'events.db'), { readonly: true });
    const start = nowMs();
    let count = 0;
    for (const row of db.prepare('SELECT * FROM events ORDER BY position').iterate()) if (row) count += 1;
    const elapsed = nowMs() - start;
    db.close();
    process.send!({ eventsPerSecond: (count / elapsed) * 1000, maxRssMb: process.resourceUsage().maxRSS / 1024 });
    return;
  }
  const eventStore = new SqliteEventStore({ filename: path.join(dir, 'events.db') });
  const viewStore = new SqliteViewStore({ filename: path.join(dir, viewsFile) });
  const head = await eventStore.headPosition();
  const runner = new ProjectionRunner(eventStore, viewStore, allProjections, pino({ level: 'silent' }), {
    batchSize: 2000,
  });
  const start = nowMs();
  await runner.start();
  await runner.waitForPosition(head, 3_600_000);
  const elapsed = nowMs() - start;
  await runner.stop();
  await eventStore.close();
  await viewStore.close();
  process.send!({ eventsPerSecond: (head / elapsed) * 1000, maxRssMb: process.resourceUsage().maxRSS / 1024 });
}

void main();
