import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, type Config } from './config';
import { EventStoreDbEventStore } from './adapters/event-store/eventstoredb-event-store';
import { SqliteEventStore } from './adapters/event-store/sqlite-event-store';
import { MongoViewStore } from './adapters/view-store/mongodb-view-store';
import { SqliteViewStore } from './adapters/view-store/sqlite-view-store';
import type { CheckpointStore } from './ports/checkpoint-store';
import type { EventStore } from './ports/event-store';
import type { ViewStore } from './ports/view-store';

export interface Stores {
  readonly eventStore: EventStore;
  /** The views; also keeps the relay's checkpoint, which outlives view rebuilds. */
  readonly viewStore: ViewStore & CheckpointStore;
  /** What is in use, for the startup log: never a password. */
  readonly description: Record<string, string>;
  /** Set when both stores are the embedded SQLite files: the projections then run in a worker thread on them. */
  readonly sqliteFiles?: { readonly eventStoreFile: string; readonly viewStoreFile: string };
}

/**
 * Picks each store by configuration, independently: EventStoreDB when
 * EVENTSTORE_URL is set, MongoDB when MONGODB_URL is set, the embedded SQLite
 * files in DATA_DIR otherwise.
 */
export async function openStores(config: Config, logger: Logger): Promise<Stores> {
  const description: Record<string, string> = {};
  if (!config.EVENTSTORE_URL || !config.MONGODB_URL) {
    ensureDataDir(config.DATA_DIR);
    description['dataDir'] = config.DATA_DIR;
  }

  const eventStoreFile = path.join(config.DATA_DIR, 'events.db');
  const viewStoreFile = path.join(config.DATA_DIR, 'views.db');
  let eventStore: EventStore;
  if (config.EVENTSTORE_URL) {
    eventStore = new EventStoreDbEventStore({
      connectionString: config.EVENTSTORE_URL,
      logger: logger.child({ component: 'eventstoredb' }),
    });
    description['eventStore'] = `eventstoredb (${redact(config.EVENTSTORE_URL)})`;
  } else {
    eventStore = new SqliteEventStore({ filename: eventStoreFile, synchronous: config.SQLITE_SYNCHRONOUS });
    description['eventStore'] = `sqlite (${eventStoreFile})`;
  }

  let viewStore: ViewStore & CheckpointStore;
  if (config.MONGODB_URL) {
    try {
      const mongo = await MongoViewStore.connect({ url: config.MONGODB_URL, database: config.MONGODB_DATABASE });
      viewStore = mongo;
      description['viewStore'] =
        `mongodb (${redact(config.MONGODB_URL)}, database ${mongo.databaseName}, ` +
        `${mongo.transactions ? 'transactions' : 'no transactions: standalone server'})`;
    } catch (error) {
      await eventStore.close();
      throw new Error(
        `cannot connect to MongoDB at ${redact(config.MONGODB_URL)}: ${(error as Error).message}. ` +
          'Check MONGODB_URL and that the server is up.',
        { cause: error },
      );
    }
  } else {
    viewStore = new SqliteViewStore({ filename: viewStoreFile });
    description['viewStore'] = `sqlite (${viewStoreFile})`;
  }
  const bothSqlite = !config.EVENTSTORE_URL && !config.MONGODB_URL;
  return { eventStore, viewStore, description, ...(bothSqlite && { sqliteFiles: { eventStoreFile, viewStoreFile } }) };
}

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
