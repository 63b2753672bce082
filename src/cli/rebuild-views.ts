import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { allProjections } from '../../projections';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logger';
import { openStores } from '../open-stores';
import { defaultRebuildThreads, rebuildViews, type RebuildProgress } from '../runtime/rebuild-views';
import { PROJECTIONS_LEASE } from '../runtime/leased-projections';
import { acquireLease, thisProcessAsHolder } from '../runtime/leased-role';

/** Held for the rebuild, renewed four times per period; a rebuild killed mid-way frees it after this. */
const REBUILD_LEASE_MS = 60_000;

/**
 * `npm run rebuild-views`: drops every view and rebuilds it from the log, on
 * whichever stores the environment selects (the same variables as the
 * service). Two writers to the views would interleave, so it takes the
 * projections lease the services share (in the view store, whichever it is)
 * and keeps it for the whole rebuild: it refuses to run while a service (or
 * another rebuild) holds it, and services started meanwhile wait on standby.
 */
const program = new Command()
  .name('rebuild-views')
  .description('Drop every view and rebuild it from the event log, on the stores the environment selects.')
  .option(
    '--batch-size <events>',
    'events read from the log per page (replaying, each page is applied in one transaction)',
    positiveInteger,
    1000,
  )
  .option(
    '--threads <count>',
    'on the embedded SQLite stores, threads projecting the log in parallel (CIs split between them); 1 for none',
    positiveInteger,
    defaultRebuildThreads(),
  )
  .option('--no-progress-bar', 'print progress lines even on a terminal')
  .addHelpText(
    'after',
    '\nStores: EVENTSTORE_URL / MONGODB_URL select EventStoreDB / MongoDB; otherwise the SQLite files in DATA_DIR.\n' +
      'Stop the service before rebuilding.',
  )
  .action(async (options: { batchSize: number; threads: number; progressBar: boolean }) => {
    const config = loadConfig();
    // Progress goes to stderr as a bar or lines; the log only says what matters.
    const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
    const stores = await openStores(config, logger);
    const holder = thisProcessAsHolder();
    const hold = () => acquireLease(stores.viewStore, PROJECTIONS_LEASE, holder, REBUILD_LEASE_MS, logger);
    if (!(await hold())) {
      await stores.eventStore.close();
      await stores.catalogue.close();
      await stores.viewStore.close();
      stores.releaseDataDir();
      throw new ConfigError(
        'the views are in use: a ConfigLedger service on these stores runs the projections (it holds their lease). ' +
          'Stop every service first, then run this again.',
      );
    }
    const renewal = setInterval(() => void hold().catch(() => undefined), REBUILD_LEASE_MS / 4);
    console.error(`rebuilding every view from the log: ${describe(stores.description)}`);
    const report = options.progressBar && process.stderr.isTTY ? progressBar() : progressLines();
    try {
      const done = await rebuildViews({
        eventStore: stores.eventStore,
        viewStore: stores.viewStore,
        projections: allProjections,
        logger,
        batchSize: options.batchSize,
        onProgress: report.update,
        ...(stores.sqliteFiles && {
          parallel: {
            threads: options.threads,
            scriptPath: path.join(__dirname, '..', 'rebuild-worker-thread.js'),
            eventStoreFile: stores.sqliteFiles.eventStoreFile,
          },
        }),
      });
      report.stop();
      console.error(
        `rebuilt ${allProjections.length} views from ${done.eventsApplied} events in ${(done.elapsedMs / 1000).toFixed(1)} s` +
          ` (${rate(done)} events/s), up to position ${done.target}`,
      );
    } finally {
      report.stop();
      clearInterval(renewal);
      await stores.viewStore.releaseLease(PROJECTIONS_LEASE, holder).catch(() => undefined);
      await stores.eventStore.close();
      await stores.catalogue.close();
      await stores.viewStore.close();
      stores.releaseDataDir();
    }
  });

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return number;
}

function describe(description: Record<string, string>): string {
  return Object.entries(description)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
}

function rate(progress: RebuildProgress): number {
  return Math.round(progress.eventsApplied / Math.max(progress.elapsedMs / 1000, 0.001));
}

interface Reporter {
  update(progress: RebuildProgress): void;
  stop(): void;
}

function progressBar(): Reporter {
  const bar = new SingleBar(
    {
      format: 'views |{bar}| {percentage}% | {events} events | {rate} events/s | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(1000, 0, { events: 0, rate: 0 });
  let stopped = false;
  return {
    update: (progress) =>
      bar.update(Math.round(progress.fraction * 1000), { events: progress.eventsApplied, rate: rate(progress) }),
    stop: () => {
      if (!stopped) bar.stop();
      stopped = true;
    },
  };
}

/** Not a terminal (CI, logs): a line every 5 seconds and at the end. */
function progressLines(): Reporter {
  let last = 0;
  return {
    update: (progress) => {
      if (progress.elapsedMs - last < 5000 && progress.fraction < 1) return;
      last = progress.elapsedMs;
      console.error(
        `rebuilding views: ${(progress.fraction * 100).toFixed(1)}%, ${progress.eventsApplied} events, ${rate(progress)} events/s`,
      );
    },
    stop: () => undefined,
  };
}

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `rebuild-views failed: ${(error as Error).message}`);
  process.exit(1);
});
