import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, type Config } from './config';
import { EventStoreDbEventStore } from './adapters/event-store/eventstoredb-event-store';
import { SqliteEventStore } from './adapters/event-store/sqlite-event-store';
import { DiskReserve } from './adapters/disk-reserve';
import { MongoViewStore } from './adapters/view-store/mongodb-view-store';
import { SqliteViewStore } from './adapters/view-store/sqlite-view-store';
import type { CheckpointStore } from './ports/checkpoint-store';
import type { EventStore } from './ports/event-store';
import type { ViewStore } from './ports/view-store';
import type { LeaseStore } from './ports/lease-store';
import { allProjections } from '../projections';
import { CATALOGUE_PREFIX } from './application/catalogue-log';

export interface Stores {
  readonly eventStore: EventStore;
  /** CI types and baselines: `catalogue.db` beside the events, or `catalogue-` streams on the same EventStoreDB. */
  readonly catalogue: EventStore;
  /** The views; also keeps the relay's checkpoint, which outlives view rebuilds. */
  readonly viewStore: ViewStore & CheckpointStore & LeaseStore;
  /** What is in use, for the startup log: never a password. */
  readonly description: Record<string, string>;
  /** Set when both stores are the embedded SQLite files: the projections then run in a worker thread on them. */
  readonly sqliteFiles?: { readonly eventStoreFile: string; readonly viewStoreFile: string };
  /**
   * Stops the disk-space watch of the data directory (a no-op for the server
   * stores); call it after closing the stores.
   */
  readonly releaseDataDir: () => void;
}

export interface OpenStoresOptions {
  /**
   * The compiled src/log-commit-thread.ts: the embedded log then commits on
   * that thread (SqliteEventStore's commitThread) unless SQLITE_COMMIT_THREAD
   * is `off`; without it, on the caller's.
   */
  readonly commitThreadScript?: string;
}

/**
 * Picks each store by configuration, independently: EventStoreDB when
 * EVENTSTORE_URL is set, MongoDB when MONGODB_URL is set, the embedded SQLite
 * files in DATA_DIR otherwise.
 */
export async function openStores(config: Config, logger: Logger, options: OpenStoresOptions = {}): Promise<Stores> {
  const description: Record<string, string> = {};
  if (!config.EVENTSTORE_URL || !config.MONGODB_URL) {
    ensureDataDir(config.DATA_DIR);
    description['dataDir'] = config.DATA_DIR;
  }

  let releaseDataDir = () => undefined as void;
  const eventStoreFile = path.join(config.DATA_DIR, 'events.db');
  const viewStoreFile = path.join(config.DATA_DIR, 'views.db');
  const catalogueFile = path.join(config.DATA_DIR, 'catalogue.db');
  let eventStore: EventStore;
  let catalogue: EventStore;
  if (config.EVENTSTORE_URL) {
    eventStore = new EventStoreDbEventStore({
      connectionString: config.EVENTSTORE_URL,
      logger: logger.child({ component: 'eventstoredb' }),
    });
    catalogue = new EventStoreDbEventStore({
      connectionString: config.EVENTSTORE_URL,
      logger: logger.child({ component: 'eventstoredb-catalogue' }),
      // Apart from the CI streams (`ci-`), which the CI readers follow.
      streamPrefix: CATALOGUE_PREFIX,
    });
    description['eventStore'] = `eventstoredb (${redact(config.EVENTSTORE_URL)})`;
  } else {
    const reserve = new DiskReserve(config.DATA_DIR, config.DISK_RESERVE_MB * 1024 * 1024);
    const diskFull = startOnFullDisk(reserve, logger);
    const sqlite = new SqliteEventStore({
      filename: eventStoreFile,
      synchronous: config.SQLITE_SYNCHRONOUS,
      ...(options.commitThreadScript &&
        config.SQLITE_COMMIT_THREAD === 'on' && { commitThread: { scriptPath: options.commitThreadScript } }),
    });
    if (diskFull) {
      sqlite.refuseWrites(diskFull);
      releaseDataDir = waitForRoom(reserve, sqlite, logger);
    }
    const status = sqlite.writeStatus();
    if (!status.writable) logger.error({ reason: status.reason }, 'the event log accepts no writes; reads are served');
    eventStore = sqlite;
    catalogue = new SqliteEventStore({ filename: catalogueFile, synchronous: config.SQLITE_SYNCHRONOUS });
    description['eventStore'] = `sqlite (${eventStoreFile})`;
    description['catalogue'] = `sqlite (${catalogueFile})`;
  }

  let viewStore: ViewStore & CheckpointStore & LeaseStore;
  if (config.MONGODB_URL) {
    try {
      const mongo = await MongoViewStore.connect({
        url: config.MONGODB_URL,
        database: config.MONGODB_DATABASE,
        views: allProjections,
      });
      viewStore = mongo;
      description['viewStore'] =
        `mongodb (${redact(config.MONGODB_URL)}, database ${mongo.databaseName}, ` +
        `${mongo.transactions ? 'transactions' : 'no transactions: standalone server'})`;
    } catch (error) {
      await eventStore.close();
      await catalogue.close();
      throw new Error(
        `cannot connect to MongoDB at ${redact(config.MONGODB_URL)}: ${(error as Error).message}. ` +
          'Check MONGODB_URL and that the server is up.',
        { cause: error },
      );
    }
  } else {
    viewStore = new SqliteViewStore({ filename: viewStoreFile, views: allProjections });
    description['viewStore'] = `sqlite (${viewStoreFile})`;
  }
  const bothSqlite = !config.EVENTSTORE_URL && !config.MONGODB_URL;
  return {
    eventStore,
    catalogue,
    viewStore,
    description,
    releaseDataDir,
    ...(bothSqlite && { sqliteFiles: { eventStoreFile, viewStoreFile } }),
  };
}

/**
 * On a disk too full to open the stores, gives the reserve back so they can
 * open, and returns why writes must wait; undefined when there is room.
 */
function startOnFullDisk(reserve: DiskReserve, logger: Logger): string | undefined {
  if (reserve.bytes === 0) return undefined;
  if (reserve.freeBytes() >= MIN_FREE_BYTES) {
    reserve.ensure();
    return undefined;
  }
  const released = reserve.release();
  const reason =
    `the disk of DATA_DIR is full (${reserve.freeBytes()} bytes free)` +
    (released ? `; its ${reserve.bytes}-byte reserve was given back so reads can be served` : '') +
    '; free space and writes resume within seconds';
  logger.error({ dataDir: path.dirname(reserve.file) }, reason);
  return reason;
}

/** Below this, the stores may not even open (SQLite's WAL index alone takes 32 KiB). */
const MIN_FREE_BYTES = 1024 * 1024;

/**
 * After a start on a full disk: every 5 s, once the disk has room for the
 * reserve and as much again, takes the reserve back, accepts writes and stops
 * watching. Returns what stops the watch early.
 */
function waitForRoom(reserve: DiskReserve, eventStore: SqliteEventStore, logger: Logger): () => void {
  const timer = setInterval(() => {
    try {
      if (!reserve.ensure()) return;
      clearInterval(timer);
      eventStore.refuseWrites(undefined);
      logger.warn('the disk of DATA_DIR has room again: the reserve is back and writes are accepted');
    } catch (error) {
      logger.debug({ err: error }, 'disk space check failed');
    }
  }, DISK_CHECK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

const DISK_CHECK_INTERVAL_MS = 5000;

/**
 * Creates DATA_DIR when missing. A path that is a file, or that cannot be
 * created, is a configuration mistake: one line naming the variable, not a stack.
 * A directory that exists but cannot be written is left to the stores, which
 * then open read-only.
 */
export function ensureDataDir(dataDir: string): void {
  const existing = statSync(dataDir, { throwIfNoEntry: false });
  if (existing && !existing.isDirectory()) {
    throw new ConfigError(`DATA_DIR: ${dataDir} is a file, not a directory; point DATA_DIR at a directory`);
  }
  if (existing) return;
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(
      `DATA_DIR: cannot create ${dataDir} (${code}); create it yourself or point DATA_DIR at a writable directory`,
      { cause: error },
    );
  }
}

/** A connection string without its password, for logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
