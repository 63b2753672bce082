import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { allProjections } from '../projections';
import { CiCommandHandler } from './application/ci-command-handler';
import { CiQueries } from './application/ci-queries';
import { buildApp } from './http/app';
import type { Clock } from './ports/clock';
import type { EventStore } from './ports/event-store';
import type { ViewStore } from './ports/view-store';
import { ProjectionRunner, type ProjectionRunnerOptions } from './runtime/projection-runner';
import { ServiceReadiness } from './runtime/readiness';

export interface ServiceDeps {
  readonly eventStore: EventStore;
  readonly viewStore: ViewStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly readWaitMs?: number;
  readonly maxLagEvents?: number;
  readonly runner?: ProjectionRunnerOptions;
}

export interface Service {
  readonly app: Express;
  readonly commands: CiCommandHandler;
  readonly queries: CiQueries;
  readonly runner: ProjectionRunner;
  /** Stops the projections (letting the batch in flight finish) and closes the stores. */
  stop(): Promise<void>;
}

/** Wires the application around the given stores and starts the projections. */
export async function startService(deps: ServiceDeps): Promise<Service> {
  const { eventStore, viewStore, clock, logger } = deps;
  const runner = new ProjectionRunner(eventStore, viewStore, allProjections, logger.child({ component: 'projections' }), deps.runner);
  const commands = new CiCommandHandler({ eventStore, clock, newEventId: randomUUID });
  const queries = new CiQueries({ eventStore, viewStore, progress: runner, readWaitMs: deps.readWaitMs ?? 5000 });
  const readiness = new ServiceReadiness(eventStore, viewStore, runner, deps.maxLagEvents ?? 10_000);
  await runner.start();
  const app = buildApp({ commands, queries, readiness, clock, logger });
  return {
    app,
    commands,
    queries,
    runner,
    async stop() {
      await runner.stop();
      await eventStore.close();
      await viewStore.close();
    },
  };
}
