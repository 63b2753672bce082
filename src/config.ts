import path from 'node:path';
import { z } from 'zod';
import { formatPath } from './domain';

/** A setting that may be absent; an empty value (as compose files often pass) counts as absent. */
function optionalSetting(schema: z.ZodString) {
  return z
    .string()
    .optional()
    .transform((value) => (value?.trim() ? value.trim() : undefined))
    .pipe(schema.optional());
}

/** Every setting the service reads, from the environment, validated once at start. */
export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `full`: every acknowledged write is fsynced; `normal`: faster, may lose the last writes on power loss. */
  SQLITE_SYNCHRONOUS: z.enum(['full', 'normal']).default('full'),
  /** How long a read waits for the views to catch up with a write or ?minPosition. */
  READ_WAIT_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  /** /readyz fails when the views are further behind the log than this. */
  READY_MAX_LAG_EVENTS: z.coerce.number().int().min(0).default(10_000),
  /**
   * Set it to keep the log in EventStoreDB / KurrentDB (e.g. `esdb://localhost:2113?tls=false`);
   * unset, the log is the embedded SQLite file in DATA_DIR.
   */
  EVENTSTORE_URL: optionalSetting(
    z.string().regex(/^esdb(\+discover)?:\/\/\S+$/, 'must be an esdb:// or esdb+discover:// connection string'),
  ),
  /**
   * Set it to keep the views in MongoDB (e.g. `mongodb://localhost:27017/configledger?replicaSet=rs0`);
   * unset, the views are the embedded SQLite file in DATA_DIR.
   */
  MONGODB_URL: optionalSetting(
    z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must be a mongodb:// or mongodb+srv:// connection string'),
  ),
  /** The MongoDB database; by default the one in MONGODB_URL's path, else `configledger`. */
  MONGODB_DATABASE: optionalSetting(
    z.string().regex(/^[^/\\. "$]{1,63}$/, 'must be a MongoDB database name (no / \\ . space " $)'),
  ),
  /** Comma-separated host:port list; set it to relay every change to Kafka. */
  KAFKA_BROKERS: z
    .string()
    .optional()
    .transform((value) =>
      value
        ?.split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port, comma-separated')).optional()),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, . _ -')
    .default('configledger.'),
  KAFKA_CLIENT_ID: z.string().min(1).default('configledger'),
  /** Partitions and replication of the topics the relay creates when they are missing. */
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).default(6),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).default(1),
  /** Server-Sent Events change streams served at once, and the heartbeat interval. */
  SSE_MAX_STREAMS: z.coerce.number().int().min(1).default(100),
  SSE_HEARTBEAT_MS: z.coerce.number().int().min(100).default(15_000),
});
export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${formatPath(issue.path)}: ${issue.message}`);
    throw new ConfigError(`invalid configuration in the environment:\n${lines.join('\n')}`);
  }
  return { ...result.data, DATA_DIR: path.resolve(result.data.DATA_DIR) };
}
