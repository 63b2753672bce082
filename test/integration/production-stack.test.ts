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

  it('defines a type, takes and restores a baseline, and reverts a change set, on EventStoreDB and MongoDB', async () => {
    const api = supertest(service.app);
    const run = randomUUID().slice(0, 8);
    const type = `stack-type-${run}`;
    await api
      .put(`/api/v1/types/${type}`)
      .send({ schema: { type: 'object', required: ['owner'] } })
      .expect(201);
    const ids = [`stack-a-${run}`, `stack-b-${run}`];
    await api.put(`/api/v1/cis/${ids[0]}`).send({ type, name: 'a' }).expect(422);
    for (const id of ids)
      await api
        .put(`/api/v1/cis/${id}`)
        .send({ type, name: id, attributes: { owner: 'ops' } })
        .expect(201);
    await api
      .post('/api/v1/baselines')
      .send({ name: `stack-${run}`, selector: { ids } })
      .expect(201);
    for (const id of ids) {
      await api
        .patch(`/api/v1/cis/${id}`)
        .set('X-Change-Ref', `CHG-${run}`)
        .type('application/merge-patch+json')
        .send({ attributes: { owner: 'dev' } })
        .expect(200);
    }
    const diff = await api.get(`/api/v1/baselines/stack-${run}/diff`).expect(200);
    expect(diff.body.items.map((i: { ciId: string; change: string }) => [i.ciId, i.change])).toEqual(
      ids.map((id) => [id, 'changed']),
    );
    const reverted = await api.post(`/api/v1/change-sets/CHG-${run}/revert`).send({}).expect(200);
    expect(reverted.body.counts).toEqual({ reverted: 2 });
    expect((await api.get(`/api/v1/baselines/stack-${run}/diff`).expect(200)).body.items).toEqual([]);
    const restore = await api.post(`/api/v1/baselines/stack-${run}/restore`).send({ dryRun: true }).expect(200);
    expect(restore.body.items).toEqual([]);
  });

  it('imports, reconciles and reports on EventStoreDB and MongoDB', async () => {
    const api = supertest(service.app);
    const run = randomUUID().slice(0, 8);
    const type = `stack-box-${run}`;
    const lines = (cores: number) =>
      [1, 2, 3]
        .map((i) =>
          JSON.stringify({
            id: `box-${run}-${i}`,
            type,
            name: `box ${i}`,
            attributes: { cores, warrantyEnd: '2099-01-01' },
          }),
        )
        .join('\n');
    const imported = await api
      .post('/api/v1/imports')
      .set('Content-Type', 'application/x-ndjson')
      .send(lines(4))
      .expect(200);
    expect(imported.text.trim().split('\n').at(-1)).toContain('"created":3');
    const reconciled = await api
      .post(`/api/v1/reconciliations?source=stack&scope=type:${type}&apply=true`)
      .set('Content-Type', 'application/x-ndjson')
      .send(lines(8))
      .expect(201);
    expect(reconciled.body.counts).toMatchObject({ drift: 3, applied: 3, missing: 0 });
    const status = await api.get('/api/v1/reports/status').expect(200);
    expect(status.body.items).toContainEqual({ type, status: 'live', count: 3 });
    const renewals = await api.get('/api/v1/reports/renewals?within=10y').expect(200);
    expect(renewals.body.items.filter((r: { type: string }) => r.type === type)).toHaveLength(0); // 2099 is beyond ten years
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
