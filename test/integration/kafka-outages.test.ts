import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import supertest from 'supertest';
import { allProjections } from '../../projections';
import { SqliteEventStore } from '../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../src/adapters/view-store/sqlite-view-store';
import { KafkaPublisher } from '../../src/adapters/relay/kafka-publisher';
import { topicNames } from '../../src/adapters/relay/cloud-events';
import { systemClock } from '../../src/ports/clock';
import { startService, type Service } from '../../src/service';
import { brokerUnavailable, startBroker, type RunningBroker } from '../support/kafka-broker';
import { silentLogger } from '../support/test-service';
import { readTopic as readFromTopic } from '../support/read-topic';
import { serviceBuilt, startServiceProcess, type ServiceProcess } from '../support/service-process';

/**
 * The relay against a broker of its own, which the test kills (SIGKILL) and
 * restarts in the middle of a stream of writes: nothing is lost, per-CI order
 * holds, duplicates are only re-sends (same ce_id). Also: a CI too large for
 * the broker goes out as a claim check instead of blocking the relay.
 * Runs wherever the shared broker does (Java 17 and Maven); in CI it must.
 */
const unavailable = brokerUnavailable();
if (unavailable && process.env['CI']) throw new Error(`the Kafka outage suite must run in CI, but ${unavailable}`);
const describeBroker = unavailable ? describe.skip : describe;
if (unavailable) console.warn(`SKIPPED: Kafka outage suite: ${unavailable}`);

describeBroker('Kafka relay through broker outages', () => {
  jest.setTimeout(240_000);
  let broker: RunningBroker;
  let dataDir: string;
  let service: Service;
  let eventStore: SqliteEventStore;
  const prefix = `outage.${process.pid}.`;
  const topics = topicNames(prefix);

  beforeAll(async () => {
    broker = await startBroker();
    dataDir = mkdtempSync(path.join(tmpdir(), 'cl-kafka-outage-'));
    eventStore = new SqliteEventStore({ filename: path.join(dataDir, 'events.db') });
    const viewStore = new SqliteViewStore({ filename: path.join(dataDir, 'views.db'), views: allProjections });
    const publisher = new KafkaPublisher({
      brokers: [broker.bootstrap],
      clientId: 'configledger-outage-test',
      topicPrefix: prefix,
      partitions: 3,
      replicationFactor: 1,
      maxMessageBytes: 20_000,
      logger: silentLogger,
    });
    service = await startService({
      eventStore,
      catalogue: new SqliteEventStore({ filename: ':memory:' }),
      viewStore,
      clock: systemClock,
      logger: silentLogger,
      relay: {
        publisher,
        checkpoints: viewStore,
        options: { batchSize: 5, pollIntervalMs: 50, retryDelayMs: 100, maxRetryDelayMs: 1000 },
      },
    });
  });
  afterAll(async () => {
    await service?.stop();
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const readTopic = (topic: string, enough: (messages: KafkaMessage[]) => boolean) =>
    readFromTopic([broker.bootstrap], topic, enough);
  const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();
  const put = (id: string, round: number) =>
    supertest(service.app)
      .put(`/api/v1/cis/${id}`)
      .send({ type: 'server', name: id, attributes: { round } })
      .expect((res) => expect([200, 201]).toContain(res.status));

  it('loses nothing and keeps per-CI order when the broker is killed and restarted mid-stream', async () => {
    const cis = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (let round = 0; round < 12; round++) {
      if (round === 4) await broker.kill(); // no clean shutdown: the relay is mid-stream
      if (round === 8) await broker.restart();
      for (const ci of cis) await put(ci, round);
    }
    const log = await eventStore.readAll(0, 10_000);
    expect(log).toHaveLength(72);
    const messages = await readTopic(topics.changes, (all) => new Set(all.map((m) => header(m, 'ce_id'))).size >= 72);

    // Every event, by its id; duplicates are re-sends of the same event.
    const firsts = new Map<string, KafkaMessage>();
    for (const message of messages)
      if (!firsts.has(header(message, 'ce_id')!)) firsts.set(header(message, 'ce_id')!, message);
    expect([...firsts.keys()].sort()).toEqual(log.map((event) => event.id).sort());
    // Per CI, first deliveries come in revision order, 1 to 12.
    for (const ci of cis) {
      const revisions = [...firsts.values()]
        .filter((m) => m.key?.toString() === ci)
        .map((m) => Number(header(m, 'ce_revision')));
      expect(revisions).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    }
    expect(messages.length).toBeGreaterThanOrEqual(72);
    const status = await supertest(service.app).get('/readyz');
    expect(status.body.checks.relay).toMatchObject({ state: 'live', lagEvents: 0 });
  });

  it('sends a CI too large for the broker as a claim check, and goes on relaying', async () => {
    await supertest(service.app)
      .put('/api/v1/cis/huge')
      .send({ type: 'server', name: 'huge', attributes: { blob: 'x'.repeat(50_000) } })
      .expect(201);
    await put('after-huge', 0);
    const changes = await readTopic(topics.changes, (all) => all.some((m) => m.key?.toString() === 'after-huge'));
    const huge = changes.find((m) => m.key?.toString() === 'huge')!;
    expect(JSON.parse(huge.value!.toString())).toMatchObject({ ciId: 'huge', revision: 1, truncated: true });
    expect(header(huge, 'ce_dataref')).toBe('/api/v1/cis/huge?revision=1');
    const states = await readTopic(topics.state, (all) => all.some((m) => m.key?.toString() === 'huge'));
    const state = states.find((m) => m.key?.toString() === 'huge')!;
    expect(JSON.parse(state.value!.toString())).toMatchObject({ id: 'huge', truncated: true });
    expect(JSON.parse(state.value!.toString()).attributes).toBeUndefined();
    // The claim check's reference answers with the whole CI.
    const whole = await supertest(service.app).get(header(huge, 'ce_dataref')!).expect(200);
    expect(whole.body.attributes.blob).toHaveLength(50_000);
  });

  (serviceBuilt ? it : it.skip)(
    'resumes from its checkpoint with nothing skipped when the service is killed (SIGKILL) while relaying',
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'cl-kafka-kill-'));
      const env = {
        DATA_DIR: dir,
        KAFKA_BROKERS: broker.bootstrap,
        KAFKA_TOPIC_PREFIX: `kill.${process.pid}.`,
        KAFKA_PARTITIONS: '3',
      };
      const ids = Array.from({ length: 10 }, (_, i) => `k-${i}`);
      const write = (target: ServiceProcess, id: string, round: number) =>
        fetch(`${target.base}/api/v1/cis/${id}`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ type: 'server', name: id, attributes: { round } }),
        }).then((res) => expect([200, 201]).toContain(res.status));
      let running: ServiceProcess | undefined = await startServiceProcess(env);
      try {
        for (let round = 0; round < 30; round++) {
          // Killed in the middle of the writes, while the relay has pages in flight.
          if (round === 15) {
            await running.stop('SIGKILL');
            running = await startServiceProcess(env);
          }
          for (const id of ids) await write(running, id, round);
        }
        const changes = await readTopic(topicNames(env.KAFKA_TOPIC_PREFIX).changes, (all) =>
          ids.every((id) => all.some((m) => m.key?.toString() === id && header(m, 'ce_revision') === '30')),
        );
        const firsts = new Map<string, KafkaMessage>();
        for (const m of changes) if (!firsts.has(header(m, 'ce_id')!)) firsts.set(header(m, 'ce_id')!, m);
        expect(firsts.size).toBe(300);
        for (const id of ids) {
          const revisions = [...firsts.values()]
            .filter((m) => m.key?.toString() === id)
            .map((m) => Number(header(m, 'ce_revision')));
          expect(revisions).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        }
      } finally {
        await running?.stop('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('disconnects the producer a close interrupts while it connects (no producer leaks)', async () => {
    const made: Producer[] = [];
    const producerOf = Kafka.prototype.producer;
    const spy = jest.spyOn(Kafka.prototype, 'producer').mockImplementation(function (this: Kafka, config) {
      const producer = producerOf.call(this, config);
      made.push(producer);
      jest.spyOn(producer, 'disconnect');
      return producer;
    });
    try {
      const publisher = new KafkaPublisher({
        brokers: [broker.bootstrap],
        clientId: 'configledger-close-test',
        topicPrefix: prefix,
        partitions: 3,
        replicationFactor: 1,
        logger: silentLogger,
      });
      const publishing = publisher.publish([]).then(() => undefined); // nothing to send: no connection
      await publishing;
      // A publish that has to connect, closed while it does.
      const recordedAt = new Date().toISOString();
      const item = {
        change: {
          eventId: 'e-1',
          ciId: 'x',
          ciType: 'server',
          revision: 1,
          position: 1,
          eventType: 'CiRegistered' as const,
          recordedAt,
          actor: 'a',
          onBehalfOf: null,
          reason: null,
          changeRef: null,
          source: 'api',
          correlationId: null,
          patch: [],
        },
        state: {
          id: 'x',
          type: 'server',
          name: 'x',
          status: 'live' as const,
          attributes: {},
          relationships: [],
          revision: 1,
          position: 1,
          recordedAt,
        },
      };
      const connecting = publisher.publish([item]).catch(() => undefined);
      await publisher.close();
      await connecting;
      expect(made.length).toBeGreaterThan(0);
      for (const producer of made) expect(producer.disconnect).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});
