import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { allProjections } from '../projections';
import { CiCommandHandler } from './application/ci-command-handler';
import { CiQueries } from './application/ci-queries';
import { buildApp } from './http/app';
import type { ChangeStreamOptions } from './http/routes/change-stream-routes';
import type { Clock } from './ports/clock';
import type { EventStore } from './ports/event-store';
import type { ViewStore } from './ports/view-store';
import { ProjectionRunner, type ProjectionRunnerOptions } from './runtime/projection-runner';
import { ServiceReadiness } from './runtime/readiness';
import { RelayRunner, type RelayRunnerOptions } from './runtime/relay-runner';
import type { CheckpointStore } from './ports/checkpoint-store';
import type { Publisher } from './ports/publisher';

export interface ServiceDeps {
  readonly eventStore: EventStore;
  readonly viewStore: ViewStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly readWaitMs?: number;
  readonly maxLagEvents?: number;
  readonly runner?: ProjectionRunnerOptions;
  readonly changeStream?: Partial<ChangeStreamOptions>;
  /** Relays every change to a publisher (Kafka), from a checkpoint kept in `checkpoints`. */
  readonly relay?: { publisher: Publisher; checkpoints: CheckpointStore; options?: RelayRunnerOptions };
}

export interface Service {
  readonly app: Express;
  readonly commands: CiCommandHandler;
  readonly queries: CiQueries;
  readonly runner: ProjectionRunner;
  readonly relay: RelayRunner | undefined;
  /** Stops the relay (flushing it), the projections (letting the batch in flight finish) and closes the stores. */
  stop(): Promise<void>;
}

/** Wires the application around the given stores and starts the projections. */
export async function startService(deps: ServiceDeps): Promise<Service> {
  const { eventStore, viewStore, clock, logger } = deps;
  const runner = new ProjectionRunner(
    eventStore,
    viewStore,
    allProjections,
    logger.child({ component: 'projections' }),
    deps.runner,
  );
  const commands = new CiCommandHandler({ eventStore, clock, newEventId: randomUUID });
  const queries = new CiQueries({ eventStore, viewStore, progress: runner, readWaitMs: deps.readWaitMs ?? 5000 });
  const relay =
    deps.relay &&
    new RelayRunner(
      {
        eventStore,
        viewStore,
        views: runner,
        checkpoints: deps.relay.checkpoints,
        publisher: deps.relay.publisher,
        clock,
        logger: logger.child({ component: 'relay' }),
      },
      deps.relay.options,
    );
  const readiness = new ServiceReadiness(eventStore, viewStore, runner, deps.maxLagEvents ?? 10_000, relay);
  await runner.start();
  await relay?.start();
  const changeStream = { maxStreams: 100, heartbeatMs: 15_000, ...deps.changeStream };
  const app = buildApp({ commands, queries, readiness, clock, logger, changeStream });
  return {
    app,
    commands,
    queries,
    runner,
    relay,
    async stop() {
      await relay?.stop();
      await runner.stop();
      await eventStore.close();
      await viewStore.close();
    },
  };
}
