import path from 'node:path';
import { z } from 'zod';
import { CiStatusSchema, formatPath } from './domain';
import { DEFAULT_SECRET_ATTRIBUTE_PATTERN } from './adapters/secret-fingerprints';

/** A setting that may be absent; an empty value (as compose files often pass) counts as absent. */
function optionalSetting(schema: z.ZodString) {
  return z
    .string()
    .optional()
    .transform((value) => (value?.trim() ? value.trim() : undefined))
    .pipe(schema.optional());
}

/**
 * A whole number from the environment. Text is checked before it becomes a
 * number, so `PORT=abc` says what it wants rather than "not a number", and an
 * empty value is a mistake named as such (not silently 0: `PORT=` would
 * otherwise listen on a random port).
 */
function integerSetting(min: number, max: number, fallback: number, what = 'a whole number') {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  return z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      if (value.trim() === '') {
        ctx.addIssue({ code: 'custom', message: `is empty; unset it to use ${fallback}, or give ${what} ${range}` });
      } else if (!/^\s*\d{1,15}\s*$/.test(value) || Number(value) < min || Number(value) > max) {
        ctx.addIssue({ code: 'custom', message: `must be ${what} ${range}, not "${value}"` });
      }
    })
    .transform((value) => (value === undefined ? fallback : Number(value)));
}

/** A regular expression given as text: refused at start when it does not compile. */
function regexSetting(flags = '') {
  return z.string().refine((pattern) => {
    try {
      new RegExp(pattern, flags);
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid regular expression');
}

/** Every setting the service reads, from the environment, validated once at start. */
export const ConfigSchema = z.object({
  /** 0 asks the system for a free port (tests do). */
  PORT: integerSetting(0, 65535, 8080, 'a port number'),
  /**
   * The interface to listen on. Unset: all interfaces (0.0.0.0) when
   * authentication is configured, loopback (127.0.0.1) when it is not.
   */
  HOST: optionalSetting(z.string().min(1)),
  /**
   * `off`: run without authentication. Needed to listen beyond loopback with
   * no tokens file and no JWKS configured; warned about at every start.
   */
  AUTH: optionalSetting(
    z.string().regex(/^off$/, 'may only be "off" (authentication is on when a tokens file or JWKS is set)'),
  ),
  /** JSON `[{principal, roles, tokenSha256}]`; reloaded when it changes and on SIGHUP. */
  AUTH_TOKENS_FILE: optionalSetting(z.string().min(1)),
  /** Verify JWTs (OIDC access tokens) against this JWKS. */
  AUTH_JWKS_URL: optionalSetting(z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL of a JWKS')),
  AUTH_ISSUER: optionalSetting(z.string().min(1)),
  AUTH_AUDIENCE: optionalSetting(z.string().min(1)),
  /** The JWT claim holding the roles (dotted path), e.g. `realm_access.roles`. */
  AUTH_ROLES_CLAIM: z.string().min(1).default('roles'),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `full`: every acknowledged write is fsynced; `normal`: faster, may lose the last writes on power loss. */
  SQLITE_SYNCHRONOUS: z.enum(['full', 'normal']).default('full'),
  /**
   * `on`: the embedded log commits on a thread of its own, so requests, reads
   * included, do not wait while the disk flushes; `off`: on the event loop,
   * which writes a little faster where the disk flushes fast.
   */
  SQLITE_COMMIT_THREAD: z.enum(['on', 'off']).default('on'),
  /**
   * Space set aside in DATA_DIR (a file, `disk-reserve`) and given back when
   * the disk fills, so the service can start and serve reads; 0 turns it off.
   */
  DISK_RESERVE_MB: integerSetting(0, 1024, 16),
  /**
   * Attribute keys (any depth) whose values are secret: a case-insensitive
   * regex tested against the key with separators removed (`api_key` → `apikey`).
   */
  SECRET_ATTRIBUTE_PATTERN: regexSetting('i').default(DEFAULT_SECRET_ATTRIBUTE_PATTERN),
  /** The key secrets are fingerprinted with (at least 32 characters); unset, one is made in DATA_DIR. */
  SECRET_HMAC_KEY: optionalSetting(z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)')),
  /** A regex every change reference must match, whole (e.g. `(CHG|INC)-\d+`). */
  CHANGE_REF_PATTERN: optionalSetting(regexSetting()),
  /** Comma-separated statuses whose CIs may not change without a change reference (e.g. `live,maintenance`). */
  CHANGE_REF_REQUIRED: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((status) => status.trim())
        .filter(Boolean),
    )
    .pipe(z.array(CiStatusSchema)),
  /** An ITSM endpoint that must approve every change (POST, JSON); refused when it does not, or does not answer. */
  CHANGE_APPROVAL_URL: optionalSetting(z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL')),
  CHANGE_APPROVAL_TIMEOUT_MS: integerSetting(100, 60_000, 2000, 'milliseconds'),
  /** The Ed25519 key (PKCS#8 PEM) evidence packs are signed with; unset, one is made in DATA_DIR. */
  EVIDENCE_SIGNING_KEY: optionalSetting(
    z.string().regex(/-----BEGIN PRIVATE KEY-----/, 'must be a PKCS#8 PEM private key'),
  ),
  /** How long a read waits for the views to catch up with a write or ?minPosition. */
  READ_WAIT_TIMEOUT_MS: integerSetting(0, 60_000, 5000, 'milliseconds'),
  /**
   * Several instances on the same stores run the projections and the relay
   * on one of them at a time, under a lease of this length: when that
   * instance dies, another takes over within it.
   */
  LEASE_TTL_MS: integerSetting(1000, 300_000, 5000, 'milliseconds'),
  /** /readyz fails when the views are further behind the log than this. */
  READY_MAX_LAG_EVENTS: integerSetting(0, Number.MAX_SAFE_INTEGER, 10_000),
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
  KAFKA_PARTITIONS: integerSetting(1, 10_000, 6),
  KAFKA_REPLICATION_FACTOR: integerSetting(1, 100, 1),
  /** The largest message value sent whole; a larger one goes as a claim check (README, Kafka topics). */
  KAFKA_MAX_MESSAGE_BYTES: integerSetting(1024, 100 * 1024 * 1024, 900_000, 'a number of bytes'),
  /** retention.ms of the change topic when the relay creates it; -1 (default) keeps every change. */
  KAFKA_CHANGES_RETENTION_MS: z
    .string()
    .optional()
    .transform((value) => (value?.trim() ? Number(value) : -1))
    .pipe(
      z
        .number({ error: 'must be -1 (keep for ever) or milliseconds' })
        .int('must be -1 (keep for ever) or milliseconds')
        .min(-1, 'must be -1 (keep for ever) or milliseconds'),
    ),
  /** Server-Sent Events change streams served at once, and the heartbeat interval. */
  SSE_MAX_STREAMS: integerSetting(1, 100_000, 100),
  /** Of those, how many may replay history at once; the others wait for a slot. */
  SSE_MAX_REPLAYS: integerSetting(1, 1000, 4),
  SSE_HEARTBEAT_MS: integerSetting(100, 3_600_000, 15_000, 'milliseconds'),
});
export type Config = Omit<z.infer<typeof ConfigSchema>, 'HOST'> & {
  readonly HOST: string;
  /** True when a tokens file or a JWKS is configured. */
  readonly authEnabled: boolean;
};

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${formatPath(issue.path)}: ${issue.message}`);
    throw new ConfigError(`invalid configuration in the environment:\n${lines.join('\n')}`);
  }
  const data = result.data;
  const authEnabled = data.AUTH_TOKENS_FILE !== undefined || data.AUTH_JWKS_URL !== undefined;
  if (authEnabled && data.AUTH === 'off') {
    throw new ConfigError(
      'invalid configuration in the environment:\n  AUTH: is "off" but AUTH_TOKENS_FILE or AUTH_JWKS_URL is set; unset one or the other',
    );
  }
  const host = data.HOST ?? (authEnabled ? '0.0.0.0' : '127.0.0.1');
  // Like Redis's protected mode: no authentication, no listening beyond this machine unless said so.
  if (!authEnabled && data.AUTH !== 'off' && !isLoopback(host)) {
    throw new ConfigError(
      `invalid configuration in the environment:\n  HOST: ${host} would let anyone who reaches it write, and no ` +
        'authentication is configured; set AUTH_TOKENS_FILE or AUTH_JWKS_URL, or AUTH=off to accept that',
    );
  }
  return { ...data, HOST: host, authEnabled, DATA_DIR: path.resolve(data.DATA_DIR) };
}
