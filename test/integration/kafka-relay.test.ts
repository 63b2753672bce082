import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import supertest from 'supertest';
import { SqliteEventStore } from '../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../src/adapters/view-store/sqlite-view-store';
import { KafkaPublisher } from '../../src/adapters/relay/kafka-publisher';
import { CHANGE_EVENT_TYPE, topicNames } from '../../src/adapters/relay/cloud-events';
import { systemClock } from '../../src/ports/clock';
import { startService, type Service } from '../../src/service';
import { silentLogger } from '../support/test-service';
import { readTopic } from '../support/read-topic';
import { describeWithServers } from '../support/describe-with-servers';
import { allProjections } from '../../projections';

/**
 * The relay against a real broker: `KAFKA_BROKERS=localhost:9092 npm run test:integration`
 * (e.g. with `docker compose up -d kafka`). Skipped, and named as such, without it.
 */
const brokers = process.env['KAFKA_BROKERS']?.split(',').filter(Boolean) ?? [];

describeWithServers(['KAFKA_BROKERS'], 'Kafka relay', () => {
  jest.setTimeout(120_000);
  const prefix = `cltest.${Date.now()}.${process.pid}.`;
  const topics = topicNames(prefix);
  const kafka = new Kafka({ clientId: 'configledger-test', brokers, logLevel: logLevel.NOTHING });
  let dataDir: string;
  let service: Service | undefined;

  async function start(): Promise<Service> {
    const eventStore = new SqliteEventStore({ filename: path.join(dataDir, 'events.db') });
    const viewStore = new SqliteViewStore({ filename: path.join(dataDir, 'views.db'), views: allProjections });
    const publisher = new KafkaPublisher({
      brokers,
      clientId: 'configledger-test',
      topicPrefix: prefix,
      partitions: 3,
      replicationFactor: 1,
      logger: silentLogger,
    });
    return startService({
      eventStore,
      catalogue: new SqliteEventStore({ filename: ':memory:' }),
      viewStore,
      clock: systemClock,
      logger: silentLogger,
      relay: { publisher, checkpoints: viewStore, options: { batchSize: 7, pollIntervalMs: 50 } },
    });
  }

  function consumeAll(
    topic: string,
    expected: number,
    until = (messages: KafkaMessage[]) => messages.length >= expected,
  ) {
    return readTopic(brokers, topic, until, 60_000);
  }

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cl-kafka-'));
  });
  afterAll(async () => {
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('carries every change, keyed by CI id, in order per CI, with the CloudEvents headers; and survives a restart', async () => {
    service = await start();
    const api = () => supertest(service!.app);
    for (let round = 0; round < 5; round++) {
      for (const id of ['a', 'b', 'c'])
        await api()
          .put(`/api/v1/cis/${id}`)
          .send({ type: 'server', name: `${id}${round}` })
          .expect((r) => expect(r.status).toBeLessThan(300));
    }
    // Kill mid-stream: stop while the relay may be behind, then restart on the same data.
    await service.stop();
    service = await start();
    for (const id of ['a', 'b', 'c']) await supertest(service.app).delete(`/api/v1/cis/${id}`).expect(200);

    const changes = await consumeAll(
      topics.changes,
      18,
      (messages) => new Set(messages.map((m) => m.headers?.['ce_id']?.toString())).size >= 18,
    );
    const unique = new Map(changes.map((m) => [m.headers!['ce_id']!.toString(), m]));
    expect(unique.size).toBe(18);
    for (const id of ['a', 'b', 'c']) {
      const revisions = changes
        .filter((m) => m.key?.toString() === id)
        .map((m) => Number(m.headers!['ce_revision']!.toString()));
      const firsts = revisions.filter((r, i) => revisions.indexOf(r) === i);
      expect(firsts).toEqual([1, 2, 3, 4, 5, 6]);
    }
    const sample = changes[0]!;
    expect(sample.headers!['ce_specversion']!.toString()).toBe('1.0');
    expect(sample.headers!['ce_type']!.toString()).toBe(CHANGE_EVENT_TYPE);
    expect(sample.headers!['ce_subject']!.toString()).toBe(sample.key!.toString());
    expect(sample.headers!['content-type']!.toString()).toBe('application/json');
    const value = JSON.parse(sample.value!.toString()) as { recordedAt: string; ciId: string };
    // The broker stamps the record when it appends it; the change's own time travels in ce_time.
    expect(sample.headers!['ce_time']!.toString()).toBe(value.recordedAt);
    expect(Number(sample.timestamp)).toBeGreaterThanOrEqual(Date.parse(value.recordedAt));
    expect(value.ciId).toBe(sample.key!.toString());

    const states = await consumeAll(topics.state, 18);
    const latest = new Map(
      states.map((m) => [m.key!.toString(), JSON.parse(m.value!.toString()) as { status: string; revision: number }]),
    );
    expect([...latest.values()].map((s) => [s.status, s.revision])).toEqual([
      ['retired', 6],
      ['retired', 6],
      ['retired', 6],
    ]);
    // A new consumer that bootstraps from the state topic holds exactly the inventory the API lists.
    const inventory = await supertest(service.app).get('/api/v1/cis?includeRetired=true&limit=1000').expect(200);
    expect(Object.fromEntries(latest)).toEqual(
      Object.fromEntries(
        (inventory.body.items as Array<{ id: string }>).map((ci) => [ci.id, expect.objectContaining(ci)]),
      ),
    );

    const admin = kafka.admin();
    await admin.connect();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [topics.changes, topics.state].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'message.timestamp.type', 'retention.ms'],
      })),
    });
    await admin.deleteTopics({ topics: [topics.changes, topics.state] }).catch(() => undefined);
    await admin.disconnect();
    const config = (name: string) =>
      Object.fromEntries(
        described.resources
          .find((resource) => resource.resourceName === name)!
          .configEntries.map((entry) => [entry.configName, entry.configValue]),
      );
    expect(config(topics.state)).toMatchObject({
      'cleanup.policy': 'compact',
      'message.timestamp.type': 'LogAppendTime',
    });
    expect(config(topics.changes)).toMatchObject({
      'cleanup.policy': 'delete',
      'message.timestamp.type': 'LogAppendTime',
      'retention.ms': '-1',
    });
  });
});
