import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { allProjections } from '../projections';
import { CiCommandHandler } from './application/ci-command-handler';
import { CiQueries } from './application/ci-queries';
import { GraphQueries } from './application/graph-queries';
import { TypeCatalogue } from './application/type-catalogue';
import { ViewsWait } from './application/views-wait';
import { ChangeSetReverter } from './application/change-set-revert';
import { Baselines } from './application/baselines';
import { Reports } from './application/reports';
import { Imports } from './application/imports';
import { Reconciliations } from './application/reconciliations';
import { ImportRecords } from './application/import-records';
import { BaselineCatalogue } from './application/baseline-catalogue';
import { ciStreamName } from './domain';
import { CatalogueTypeRules } from './application/type-rules';
import { currentCiQueries } from '../projections/current-cis';
import { buildApp } from './http/app';
import { verifyLogs } from './application/verify-log';
import { makeEvidence, type EvidenceRequest, type EvidenceSigner } from './application/make-evidence';
import { ChainHeadTracker } from './application/chain-checkpoints';
import type { AuthOptions } from './http/authorization';
import { ReplaySlots } from './http/replay-slots';
import type { ChangeStreamOptions } from './http/routes/change-stream-routes';
import type { Clock } from './ports/clock';
import type { SecretPolicy } from './domain';
import type { ChangePolicy } from './application/change-policy';
import type { EventStore } from './ports/event-store';
import type { ViewStore } from './ports/view-store';
import { ProjectionRunner, type ProjectionRunnerOptions, type RunningProjections } from './runtime/projection-runner';
import { ProjectionWorker } from './runtime/projection-worker';
import { ServiceReadiness } from './runtime/readiness';
import { RelayRunner, type RelayRunnerOptions } from './runtime/relay-runner';
import { LeasedProjections } from './runtime/leased-projections';
import { ServiceMetrics } from './application/service-metrics';
import { LeasedRelay, type RunningRelay } from './runtime/leased-relay';
import type { LeaseSettings } from './runtime/leased-role';
import type { CheckpointStore } from './ports/checkpoint-store';
import type { Publisher } from './ports/publisher';

export interface ServiceDeps {
  readonly eventStore: EventStore;
  /**
   * The catalogue log: CI types and baselines, event-sourced apart from the
   * CI log so that the CIs' readers (projections, relay) see only CI events.
   */
  readonly catalogue: EventStore;
  readonly viewStore: ViewStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly readWaitMs?: number;
  readonly maxLagEvents?: number;
  readonly runner?: ProjectionRunnerOptions;
  /**
   * Runs the projections in a worker thread on these SQLite files (the ones
   * the stores above opened) instead of in the service's thread. The script
   * defaults to the built projection-worker-thread.js beside this module.
   */
  readonly projectionWorker?: { eventStoreFile: string; viewStoreFile: string; scriptPath?: string };
  readonly changeStream?: Partial<ChangeStreamOptions>;
  /** Which attributes are secret and how they are fingerprinted; absent, none is. */
  readonly secrets?: SecretPolicy;
  /** How often stream heads are checkpointed on a per-stream chain (EventStoreDB); default a minute. */
  readonly chainCheckpointIntervalMs?: number;
  /** Signs evidence packs (and chain checkpoints); absent, GET /evidence is not offered. */
  readonly evidenceSigner?: EvidenceSigner;
  /** Checked before every append; absent, every change may be recorded. */
  readonly policy?: ChangePolicy;
  /** Authentication and roles; absent, authentication is off. */
  readonly auth?: AuthOptions;
  /**
   * Relays every change to a publisher (Kafka), from a checkpoint kept in
   * `checkpoints`. Under a lease, give the publisher's name and a way to
   * make one: the relay gets a fresh one each time this instance takes it.
   */
  readonly relay?: {
    publisher: Publisher | { readonly name: string; create(): Publisher };
    checkpoints: CheckpointStore;
    options?: RelayRunnerOptions;
  };
  /**
   * Several instances on the same stores: the projections and the relay run
   * on one instance at a time, the holder of their lease in this store.
   * Absent, this instance runs both.
   */
  readonly lease?: LeaseSettings;
}

export interface Service {
  readonly app: Express;
  readonly commands: CiCommandHandler;
  readonly queries: CiQueries;
  readonly graph: GraphQueries;
  readonly types: TypeCatalogue;
  readonly metrics: ServiceMetrics;
  readonly changeSets: ChangeSetReverter;
  readonly baselines: Baselines;
  readonly reports: Reports;
  readonly imports: Imports;
  readonly reconciliations: Reconciliations;
  readonly runner: RunningProjections;
  readonly relay: RunningRelay | undefined;
  /** The change streams' replay slots: how many replay history now, wait for a slot, and the peak. */
  readonly replaySlots: ReplaySlots;
  /** Stops the relay (flushing it), the projections (letting the batch in flight finish) and closes the stores. */
  stop(): Promise<void>;
}

/** Wires the application around the given stores and starts the projections. */
export async function startService(deps: ServiceDeps): Promise<Service> {
  const { eventStore, viewStore, clock, logger } = deps;
  const projectionLogger = logger.child({ component: 'projections' });
  const makeRunner = (): RunningProjections =>
    deps.projectionWorker
      ? new ProjectionWorker({
          scriptPath: path.join(__dirname, 'projection-worker-thread.js'),
          ...deps.projectionWorker,
          appended$: eventStore.appended$,
          logger: projectionLogger,
          ...(deps.runner && { runner: deps.runner }),
        })
      : new ProjectionRunner(eventStore, viewStore, allProjections, projectionLogger, deps.runner);
  const runner: RunningProjections = deps.lease
    ? new LeasedProjections(makeRunner, {
        lease: deps.lease,
        readCheckpoints: () => viewStore.readCheckpoints(),
        names: allProjections.map((p) => p.name),
        followMs: 200,
        logger: projectionLogger,
      })
    : makeRunner();
  const reads = { eventStore, viewStore, progress: runner, readWaitMs: deps.readWaitMs ?? 5000 };
  const types = new TypeCatalogue({ catalogue: deps.catalogue, clock, newEventId: randomUUID });
  const viewsWait = new ViewsWait(reads);
  const typeRules = new CatalogueTypeRules(types, async (ciIds) => {
    // The targets' types as of their latest events: the views are waited for up to the newest of them.
    const heads = await Promise.all(ciIds.map((id) => eventStore.streamHead(ciStreamName(id))));
    await viewsWait.forPosition(Math.max(0, ...heads.map((head) => head?.position ?? 0)));
    const found = await currentCiQueries.getMany(viewStore, ciIds);
    return new Map(found.map((ci) => [ci.ciId, ci.document.type]));
  });
  const relay = deps.relay && makeRelay(deps, deps.relay);
  const metrics = new ServiceMetrics({ eventStore, runner, relay, now: () => clock.now().getTime() });
  eventStore.observeCommits?.((events) => metrics.groupCommitEvents.observe(events));
  const commands = new CiCommandHandler({
    eventStore,
    clock,
    newEventId: randomUUID,
    observe: {
      appendSeconds: (seconds: number) => metrics.appendSeconds.observe(seconds),
      stateCache: (result: 'hit' | 'miss') => metrics.stateCache.inc({ result }),
      stateLoad: (from: 'snapshot' | 'stream', events: number) => metrics.stateLoadEvents.observe({ from }, events),
    },
    types: typeRules,
    ...(deps.secrets && { secrets: deps.secrets }),
    ...(deps.policy && { policy: deps.policy }),
  });
  const queries = new CiQueries(reads);
  const changeSets = new ChangeSetReverter({ eventStore, viewStore, wait: viewsWait, commands });
  const reports = new Reports({ eventStore, viewStore, wait: viewsWait, types });
  const imports = new Imports({
    commands,
    records: new ImportRecords({ catalogue: deps.catalogue, clock, newEventId: randomUUID }),
  });
  const reconciliations = new Reconciliations({
    eventStore,
    viewStore,
    wait: viewsWait,
    commands,
    catalogue: deps.catalogue,
    clock,
    newEventId: randomUUID,
  });
  const baselines = new Baselines({
    eventStore,
    viewStore,
    wait: viewsWait,
    catalogue: new BaselineCatalogue({ catalogue: deps.catalogue, clock, newEventId: randomUUID }),
    commands,
  });
  const graph = new GraphQueries(reads);
  const readiness = new ServiceReadiness(eventStore, viewStore, runner, deps.maxLagEvents ?? 10_000, relay);
  await runner.start();
  await relay?.start();
  const changeStream = { maxStreams: 100, maxReplays: 4, heartbeatMs: 15_000, ...deps.changeStream };
  const replaySlots = new ReplaySlots(changeStream.maxReplays);
  const signer = deps.evidenceSigner;
  const checkpoints =
    signer && eventStore.chainScope === 'per-stream' ? startChainCheckpoints(deps, signer) : undefined;
  const audit = {
    verify: () =>
      verifyLogs(
        { events: eventStore, catalogue: deps.catalogue },
        signer ? { checkpointKey: signer.publicKeyPem } : {},
      ),
    ...(signer && {
      evidence: (request: EvidenceRequest) =>
        makeEvidence({ eventStore, queries, signer, now: () => clock.now() }, request),
      publicKey: { keyId: signer.keyId, pem: signer.publicKeyPem },
    }),
  };
  const app = buildApp({
    commands,
    queries,
    graph,
    types,
    changeSets,
    baselines,
    reports,
    imports,
    reconciliations,
    readiness,
    clock,
    logger,
    changeStream,
    replaySlots,
    audit,
    auth: deps.auth,
    metrics,
  });
  return {
    app,
    commands,
    queries,
    graph,
    types,
    metrics,
    changeSets,
    baselines,
    reports,
    imports,
    reconciliations,
    runner,
    relay,
    replaySlots,
    async stop() {
      checkpoints?.stop();
      await relay?.stop();
      await runner.stop();
      await eventStore.close();
      await deps.catalogue.close();
      await viewStore.close();
    },
  };
}

/**
 * On a per-stream chain, signs a checkpoint of every stream head now and then
 * (see chain-checkpoints.ts); a failure is logged and retried next time.
 */
function startChainCheckpoints(deps: ServiceDeps, signer: EvidenceSigner): { stop(): void } {
  const tracker = new ChainHeadTracker(deps.eventStore, signer, () => deps.clock.now());
  const logger = deps.logger.child({ component: 'chain-checkpoints' });
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    tracker
      .checkpoint()
      .then(
        (checkpoint) =>
          checkpoint &&
          logger.info({ position: checkpoint.position, streams: checkpoint.streams }, 'stream heads checkpointed'),
      )
      .catch((error: unknown) => logger.warn({ err: error }, 'stream heads not checkpointed; retrying next interval'))
      .finally(() => {
        running = false;
      });
  };
  const timer = setInterval(tick, deps.chainCheckpointIntervalMs ?? 60_000);
  timer.unref();
  tick();
  return { stop: () => clearInterval(timer) };
}

/** The relay, run here, or under its lease on whichever instance holds it. */
function makeRelay(deps: ServiceDeps, relay: NonNullable<ServiceDeps['relay']>): RunningRelay {
  const { eventStore, clock } = deps;
  const logger = deps.logger.child({ component: 'relay' });
  const { publisher } = relay;
  const newPublisher = 'create' in publisher ? () => publisher.create() : () => publisher;
  const makeRunner = () =>
    new RelayRunner(
      { eventStore, checkpoints: relay.checkpoints, publisher: newPublisher(), clock, logger },
      relay.options,
    );
  if (!deps.lease) return makeRunner();
  return new LeasedRelay(makeRunner, {
    lease: deps.lease,
    publisherName: publisher.name,
    eventStore,
    checkpoints: relay.checkpoints,
    logger,
  });
}
