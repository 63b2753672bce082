import path from 'node:path';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Logger } from 'pino';
import { ConfigError, isLoopback, loadConfig, type Config } from './config';
import { JwksAuthenticator } from './adapters/auth/jwks-authenticator';
import { loadSecretKey, secretPolicy } from './adapters/secret-fingerprints';
import { loadSigningKey } from './adapters/evidence-signing-key';
import { TokensFileAuthenticator } from './adapters/auth/tokens-file';
import type { Authenticator } from './ports/authenticator';
import { allPolicies, changeRefPolicy, type ChangePolicy } from './application/change-policy';
import { httpApprovalPolicy } from './adapters/approval/http-approval';
import { createLogger } from './logger';
import { KafkaPublisher } from './adapters/relay/kafka-publisher';
import { systemClock } from './ports/clock';
import { startService } from './service';
import { ensureDataDir, openStores } from './open-stores';
import { thisProcessAsHolder } from './runtime/leased-role';

/** The composition root: configuration → adapters → service → HTTP server. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  // The log's commits wait for the disk on a thread of their own, not on the one that answers requests.
  const { eventStore, catalogue, viewStore, description, sqliteFiles, releaseDataDir } = await openStores(
    config,
    logger,
    { commitThreadScript: path.join(__dirname, 'log-commit-thread.js') },
  );
  // A fresh publisher each time this instance takes the relay lease (a stopped relay closes its own).
  const kafka =
    config.KAFKA_BROKERS && config.KAFKA_BROKERS.length > 0
      ? {
          name: 'kafka',
          create: () =>
            new KafkaPublisher({
              brokers: config.KAFKA_BROKERS!,
              clientId: config.KAFKA_CLIENT_ID,
              topicPrefix: config.KAFKA_TOPIC_PREFIX,
              partitions: config.KAFKA_PARTITIONS,
              replicationFactor: config.KAFKA_REPLICATION_FACTOR,
              changesRetentionMs: config.KAFKA_CHANGES_RETENTION_MS,
              maxMessageBytes: config.KAFKA_MAX_MESSAGE_BYTES,
              logger,
            }),
        }
      : undefined;
  logger.info(
    {
      ...description,
      relay: kafka ? `kafka (${config.KAFKA_BROKERS!.join(',')})` : 'off',
      projections: sqliteFiles ? 'worker thread' : 'in process',
    },
    'adapters selected',
  );

  const authenticators = openAuthenticators(config, logger);
  if (!config.authEnabled) {
    const level = isLoopback(config.HOST) ? 'info' : 'warn';
    logger[level](
      { host: config.HOST },
      isLoopback(config.HOST)
        ? 'authentication is off: reachable from this machine only, X-Actor recorded as the actor'
        : `authentication is off (AUTH=off) and the service listens on ${config.HOST}: anyone who can reach it can write`,
    );
  }
  ensureDataDir(config.DATA_DIR); // the secret key lives there, whichever stores are in use
  const secrets = secretPolicy(
    keyOrConfigError('SECRET_HMAC_KEY', () => loadSecretKey(config.SECRET_HMAC_KEY, config.DATA_DIR)),
    config.SECRET_ATTRIBUTE_PATTERN,
  );
  const evidenceSigner = keyOrConfigError('EVIDENCE_SIGNING_KEY', () =>
    loadSigningKey(config.EVIDENCE_SIGNING_KEY, config.DATA_DIR),
  );
  const service = await startService({
    secrets,
    evidenceSigner,
    ...changePolicyOf(config),
    eventStore,
    catalogue,
    viewStore,
    clock: systemClock,
    logger,
    readWaitMs: config.READ_WAIT_TIMEOUT_MS,
    maxLagEvents: config.READY_MAX_LAG_EVENTS,
    changeStream: {
      maxStreams: config.SSE_MAX_STREAMS,
      maxReplays: config.SSE_MAX_REPLAYS,
      heartbeatMs: config.SSE_HEARTBEAT_MS,
    },
    ...(kafka ? { relay: { publisher: kafka, checkpoints: viewStore } } : {}),
    // Any number of instances may share the stores: the projections and the relay run on the lease holder.
    lease: {
      store: viewStore,
      holder: thisProcessAsHolder(),
      ttlMs: config.LEASE_TTL_MS,
      renewMs: Math.max(200, Math.floor(config.LEASE_TTL_MS / 5)),
    },
    ...(sqliteFiles && { projectionWorker: sqliteFiles }),
    ...(authenticators.length > 0 && { auth: { authenticators } }),
  });
  const server = await listen(service.app, config.HOST, config.PORT).catch(async (error: unknown) => {
    await service.stop();
    throw error;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info({ port, host: config.HOST }, `ConfigLedger listening on http://${displayHost(config.HOST)}:${port}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    server.close(() => {
      service
        .stop()
        .then(() => {
          releaseDataDir();
          logger.info('stopped cleanly');
          process.exit(0);
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          process.exit(1);
        });
    });
    server.closeIdleConnections();
  };
  process.on('SIGHUP', () => {
    for (const authenticator of authenticators)
      if (authenticator instanceof TokensFileAuthenticator) authenticator.reload();
  });
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/**
 * Loads a key (given, or kept in DATA_DIR); a key that cannot be read or used
 * stops the start with one line naming the variable that sets it.
 */
function keyOrConfigError<T>(variable: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    throw new ConfigError(
      `${variable}: ${(error as Error).message}; set ${variable}, or let the service keep its own key in DATA_DIR`,
      { cause: error },
    );
  }
}

/** CHANGE_REF_PATTERN / CHANGE_REF_REQUIRED, then the ITSM approval check, when configured. */
function changePolicyOf(config: Config): { policy?: ChangePolicy } {
  const policies: ChangePolicy[] = [];
  if (config.CHANGE_REF_PATTERN || config.CHANGE_REF_REQUIRED.length > 0) {
    policies.push(
      changeRefPolicy({
        pattern: config.CHANGE_REF_PATTERN ? new RegExp(config.CHANGE_REF_PATTERN) : undefined,
        requiredFor: config.CHANGE_REF_REQUIRED,
      }),
    );
  }
  if (config.CHANGE_APPROVAL_URL) {
    policies.push(
      httpApprovalPolicy({ url: config.CHANGE_APPROVAL_URL, timeoutMs: config.CHANGE_APPROVAL_TIMEOUT_MS }),
    );
  }
  return policies.length > 0 ? { policy: allPolicies(policies) } : {};
}

/** The tokens file and/or the JWKS, as configured; none when authentication is off. */
function openAuthenticators(config: Config, logger: Logger): Authenticator[] {
  const authenticators: Authenticator[] = [];
  if (config.AUTH_TOKENS_FILE) {
    try {
      authenticators.push(new TokensFileAuthenticator(config.AUTH_TOKENS_FILE, logger.child({ component: 'auth' })));
    } catch (error) {
      throw new ConfigError(
        `${(error as Error).message}; create it with \`npm run tokens -- create --principal NAME --roles writer\``,
        { cause: error },
      );
    }
  }
  if (config.AUTH_JWKS_URL) {
    authenticators.push(
      new JwksAuthenticator({
        jwksUrl: config.AUTH_JWKS_URL,
        issuer: config.AUTH_ISSUER,
        audience: config.AUTH_AUDIENCE,
        rolesClaim: config.AUTH_ROLES_CLAIM,
      }),
    );
  }
  if (authenticators.length > 0) {
    logger.info(
      { tokensFile: config.AUTH_TOKENS_FILE ?? null, jwks: config.AUTH_JWKS_URL ?? null },
      'authentication is on: every API call needs a bearer token',
    );
  }
  return authenticators;
}

/**
 * Resolves once the server listens; rejects with a StartupError naming the
 * variable to change. (Express 5's app.listen passes a listen error to its
 * callback, which would log "listening" and then die on it.)
 */
function listen(app: RequestListener, host: string, port: number): Promise<Server> {
  const server = createServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new StartupError(listenProblem(error, host, port))));
    server.listen(port, host, () => resolve(server));
  });
}

function listenProblem(error: NodeJS.ErrnoException, host: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `PORT: ${host}:${port} is already in use; stop the process that holds it or set PORT to a free port`;
    case 'EACCES':
      return `PORT: not allowed to listen on ${host}:${port}; use a port above 1023 or run with the needed privilege`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `HOST: ${host} is not an address of this machine; set HOST to one (0.0.0.0 for all, 127.0.0.1 for local only)`;
    default:
      return `cannot listen on ${host}:${port} (${error.code ?? error.message}); check HOST and PORT`;
  }
}

function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
}

/** A start-up failure whose message already says what to do. */
class StartupError extends Error {}

main().catch((error: unknown) => {
  // One line a person can act on; a stack only for what we did not foresee.
  if (error instanceof ConfigError || error instanceof StartupError) {
    console.error(`ConfigLedger cannot start: ${error.message}`);
  } else {
    console.error('ConfigLedger failed to start:', error);
  }
  process.exit(1);
});
