import path from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { allProjections } from '../projections';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../src/adapters/view-store/sqlite-view-store';
import { defaultRebuildThreads, rebuildViews } from '../src/runtime/rebuild-views';
import { nowMs } from './stats';

/**
 * Child process, so its peak RSS is the rebuild's alone:
 *   rebuild-child <dir> raw      → events/s of a raw read of the log
 *   rebuild-child <dir> rebuild <views file> [view,view…|all] [threads]
 *       → events/s of rebuilding every view (or those named) from the log into a fresh views file,
 *         with `threads` worker threads (default: `npm run rebuild-views`'s, one per core up to four)
 */
async function main() {
  const [dir, mode, viewsFile, only, threads] = process.argv.slice(2) as [
    string,
    'raw' | 'rebuild',
    string,
    string?,
    string?,
  ];
  const projections =
    only && only !== 'all' ? allProjections.filter((p) => only.split(',').includes(p.name)) : allProjections;
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
  const viewStore = new SqliteViewStore({ filename: path.join(dir, viewsFile), views: projections });
  // The one writer's own time: its inserts, commits and index builds (synchronous calls, so their
  // wall time). However the projecting is split, a rebuild takes at least this long.
  let writerMs = 0;
  const startBulkLoad = viewStore.startBulkLoad.bind(viewStore);
  viewStore.startBulkLoad = async (views) => {
    const load = await startBulkLoad(views);
    for (const method of ['write', 'writePrepared', 'finish'] as const) {
      const call = load[method]!.bind(load) as (arg: never) => Promise<void>;
      Object.assign(load, {
        [method]: async (arg: never) => {
          const began = nowMs();
          await call(arg);
          writerMs += nowMs() - began;
        },
      });
    }
    return load;
  };
  const start = nowMs();
  // The process's CPU, all its threads (the workers' projecting and the writer's inserts alike).
  const cpuBefore = process.cpuUsage();
  // What `npm run rebuild-views` runs, with its default page size.
  const done = await rebuildViews({
    eventStore,
    viewStore,
    projections,
    logger: pino({ level: 'silent' }),
    parallel: {
      threads: threads ? Number(threads) : defaultRebuildThreads(),
      scriptPath: path.resolve(__dirname, '../src/rebuild-worker-thread.js'),
      eventStoreFile: path.join(dir, 'events.db'),
    },
  });
  const elapsed = nowMs() - start;
  const cpu = process.cpuUsage(cpuBefore);
  await eventStore.close();
  await viewStore.close();
  process.send!({
    eventsPerSecond: (done.eventsApplied / elapsed) * 1000,
    writerEventsPerSecond: (done.eventsApplied / writerMs) * 1000,
    cpuPerEventUs: (cpu.user + cpu.system) / done.eventsApplied,
    coresBusy: (cpu.user + cpu.system) / 1000 / elapsed,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  });
}

void main();
