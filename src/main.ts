import type { Server } from 'node:http';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { KafkaPublisher } from './adapters/relay/kafka-publisher';
import { systemClock } from './ports/clock';
import { startService } from './service';
import { openStores } from './open-stores';

/** The composition root: configuration → adapters → service → HTTP server. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const { eventStore, viewStore, description, sqliteFiles } = await openStores(config, logger);
  const publisher =
    config.KAFKA_BROKERS && config.KAFKA_BROKERS.length > 0
      ? new KafkaPublisher({
          brokers: config.KAFKA_BROKERS,
          clientId: config.KAFKA_CLIENT_ID,
          topicPrefix: config.KAFKA_TOPIC_PREFIX,
          partitions: config.KAFKA_PARTITIONS,
          replicationFactor: config.KAFKA_REPLICATION_FACTOR,
          logger,
        })
      : undefined;
  logger.info(
    {
      ...description,
      relay: publisher ? `kafka (${config.KAFKA_BROKERS!.join(',')})` : 'off',
      projections: sqliteFiles ? 'worker thread' : 'in process',
    },
    'adapters selected',
  );

  const service = await startService({
    eventStore,
    viewStore,
    clock: systemClock,
    logger,
    readWaitMs: config.READ_WAIT_TIMEOUT_MS,
    maxLagEvents: config.READY_MAX_LAG_EVENTS,
    changeStream: { maxStreams: config.SSE_MAX_STREAMS, heartbeatMs: config.SSE_HEARTBEAT_MS },
    ...(publisher ? { relay: { publisher, checkpoints: viewStore } } : {}),
    ...(sqliteFiles && { projectionWorker: sqliteFiles }),
  });
  const server: Server = service.app.listen(config.PORT, config.HOST, () => {
    logger.info({ port: config.PORT, host: config.HOST }, `ConfigLedger listening on http://localhost:${config.PORT}`);
  });
  server.on('error', (error) => {
    logger.fatal({ err: error }, `cannot listen on ${config.HOST}:${config.PORT}; set PORT to a free port`);
    process.exit(1);
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    server.close(() => {
      service
        .stop()
        .then(() => {
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
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('ConfigLedger failed to start:', error);
  }
  process.exit(1);
});
