import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import supertest from 'supertest';
import { allProjections } from '../../projections';
import { EventStoreDbEventStore } from '../../src/adapters/event-store/eventstoredb-event-store';
import { MongoViewStore } from '../../src/adapters/view-store/mongodb-view-store';
import { systemClock } from '../../src/ports/clock';
import { rebuildViews } from '../../src/runtime/rebuild-views';
import { startService, type Service } from '../../src/service';
import { dumpViews } from '../support/dump-views';
import { silentLogger } from '../support/test-service';
import { describeWithServers } from '../support/describe-with-servers';

/**
 * The whole service on the production adapters together, as compose runs it:
 * `EVENTSTORE_URL=… MONGODB_URL=… npm run test:integration`.
 */
const esdbUrl = process.env['EVENTSTORE_URL'];
const mongoUrl = process.env['MONGODB_URL'];

describeWithServers(['EVENTSTORE_URL', 'MONGODB_URL'], 'production stack (EventStoreDB + MongoDB)', () => {
  jest.setTimeout(60_000);
  const database = `cltest_stack_${process.pid}_${Date.now()}`;
  const ciId = `stack-${randomUUID()}`;
  let service: Service;
  let eventStore: EventStoreDbEventStore;
  let viewStore: MongoViewStore;

  beforeAll(async () => {
    eventStore = new EventStoreDbEventStore({ connectionString: esdbUrl!, logger: silentLogger });
    viewStore = await MongoViewStore.connect({ url: mongoUrl!, database, views: allProjections });
    service = await startService({
      eventStore,
      catalogue: new EventStoreDbEventStore({
        connectionString: esdbUrl!,
        logger: silentLogger,
        streamPrefix: 'catalogue-',
      }),
      viewStore,
      clock: systemClock,
      logger: silentLogger,
      runner: { pollIntervalMs: 100 },
    });
  });
  afterAll(async () => {
    await service.stop();
    const client = new MongoClient(mongoUrl!);
    await client.db(database).dropDatabase();
    await client.close();
  });

  it('registers, changes and answers current, as-of, history, diff and feed reads', async () => {
    const api = supertest(service.app);
    const created = await api
      .put(`/api/v1/cis/${ciId}`)
      .set('X-Actor', 'alice')
      .set('X-Change-Ref', 'CHG-1')
      .send({ type: 'server', name: 'web', attributes: { cpu: 2, 'odd.key': { $dollar: true } } })
      .expect(201);
    const beforeChange = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await api
      .patch(`/api/v1/cis/${ciId}`)
      .set('X-Actor', 'bob')
      .set('If-Match', created.headers['etag'] as string)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ attributes: { cpu: 4 } })
      .expect(200);

    const current = await api.get(`/api/v1/cis/${ciId}`).expect(200);
    expect(current.body).toMatchObject({ revision: 2, attributes: { cpu: 4, 'odd.key': { $dollar: true } } });
    const asOf = await api.get(`/api/v1/cis/${ciId}`).query({ asOf: beforeChange }).expect(200);
    expect(asOf.body).toMatchObject({ revision: 1, attributes: { cpu: 2 } });
    const history = await api.get(`/api/v1/cis/${ciId}/history`).expect(200);
    expect(history.body.items.map((item: { actor: string }) => item.actor)).toEqual(['alice', 'bob']);
    const diff = await api.get(`/api/v1/cis/${ciId}/diff`).query({ from: 1 }).expect(200);
    expect(diff.body.patch).toEqual([{ op: 'replace', path: '/attributes/cpu', value: 4 }]);
    const feed = await api
      .get('/api/v1/changes')
      .query({ ciId, minPosition: current.headers['x-position'] })
      .expect(200);
    expect(feed.body.items).toHaveLength(2);
  });

  it('reports each adapter in /readyz', async () => {
    const ready = await supertest(service.app).get('/readyz').expect(200);
    expect(ready.body.checks.eventStore).toMatchObject({ ok: true, adapter: 'eventstoredb' });
    expect(ready.body.checks.viewStore).toMatchObject({ ok: true, adapter: 'mongodb' });
  });

  it('rebuilds the views from the log to the same documents', async () => {
    await service.runner.stop();
    const before = await dumpViews(viewStore);
    await rebuildViews({
      eventStore,
      viewStore,
      projections: allProjections,
      logger: silentLogger,
    });
    expect(await dumpViews(viewStore)).toEqual(before);
  });
});
