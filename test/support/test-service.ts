import { pino } from 'pino';
import { generateKeyPairSync } from 'node:crypto';
import supertest from 'supertest';
import { loadSigningKey } from '../../src/adapters/evidence-signing-key';
import { secretPolicy } from '../../src/adapters/secret-fingerprints';
import { SqliteEventStore } from '../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../src/adapters/view-store/sqlite-view-store';
import type { EventStore } from '../../src/ports/event-store';
import type { ViewStore } from '../../src/ports/view-store';
import { startService, type Service, type ServiceDeps } from '../../src/service';
import { TestClock } from './test-clock';
import { allProjections } from '../../projections';
import { conforming } from './openapi-conformance';

export const silentLogger = pino({ level: 'silent' });

/** An evidence signing key made for this test run. */
export const testSigner = loadSigningKey(
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  '/nonexistent',
);

/** The service's secret handling, under a fixed key, so every HTTP test runs with it. */
export const testSecrets = secretPolicy(Buffer.from('test-secret-hmac-key-of-32-chars!'));

export interface TestService extends Service {
  readonly eventStore: EventStore;
  readonly viewStore: ViewStore;
  readonly clock: TestClock;
  request(): supertest.Agent;
}

/** The whole service on in-memory SQLite, with a hand-driven clock. */
export async function createTestService(
  options: {
    clock?: TestClock;
    readWaitMs?: number;
    eventStore?: EventStore;
    catalogue?: EventStore;
    viewStore?: ViewStore;
    changeStream?: ServiceDeps['changeStream'];
    auth?: ServiceDeps['auth'];
    policy?: ServiceDeps['policy'];
    lease?: ServiceDeps['lease'];
  } = {},
): Promise<TestService> {
  const eventStore = options.eventStore ?? new SqliteEventStore({ filename: ':memory:' });
  const viewStore = options.viewStore ?? new SqliteViewStore({ filename: ':memory:', views: allProjections });
  const clock = options.clock ?? new TestClock();
  const service = await startService({
    eventStore,
    catalogue: options.catalogue ?? new SqliteEventStore({ filename: ':memory:' }),
    viewStore,
    clock,
    logger: silentLogger,
    readWaitMs: options.readWaitMs ?? 2000,
    runner: { pollIntervalMs: 20, retryDelayMs: 5 },
    changeStream: options.changeStream,
    secrets: testSecrets,
    evidenceSigner: testSigner,
    ...(options.auth && { auth: options.auth }),
    ...(options.policy && { policy: options.policy }),
    ...(options.lease && { lease: options.lease }),
  });
  return { ...service, eventStore, viewStore, clock, request: () => supertest.agent(conforming(service.app)) };
}
