import { SqliteViewStore } from '../../src/adapters/view-store/sqlite-view-store';
import { allProjections } from '../../projections';
import { createTestService } from '../support/test-service';

describe('health', () => {
  it('GET /livez answers while the process runs', async () => {
    const service = await createTestService();
    await service.request().get('/livez').expect(200, { status: 'ok' });
    await service.stop();
  });

  it('GET /readyz is ready when stores answer and the views are live and caught up', async () => {
    const service = await createTestService();
    await service.request().put('/api/v1/cis/a').send({ type: 'server', name: 'a' }).expect(201);
    await service.request().get('/api/v1/cis/a').expect(200);
    const res = await service.request().get('/readyz').expect(200);
    expect(res.body).toMatchObject({
      status: 'ready',
      checks: {
        eventStore: { ok: true, headPosition: 1 },
        viewStore: { ok: true },
        projections: { ok: true, state: 'live', position: 1, lagEvents: 0 },
      },
    });
    await service.stop();
  });

  it('GET /readyz answers 503 naming the store that does not answer', async () => {
    const service = await createTestService();
    service.viewStore.ping = async () => {
      throw new Error('views.db is locked');
    };
    const res = await service.request().get('/readyz').expect(503);
    expect(res.body.checks.viewStore).toEqual({ ok: false, adapter: 'sqlite', error: 'views.db is locked' });
    await service.stop();
  });
});

describe('/readyz with views ahead of the log', () => {
  it('is not ready, and says why, when the views claim positions the log does not hold (a log reset under kept views)', async () => {
    const viewStore = new SqliteViewStore({ filename: ':memory:', views: allProjections });
    await viewStore.applyBatch({
      writes: [],
      checkpoints: allProjections.map((p) => ({ projection: p.name, version: p.version, position: 50 })),
    });
    const service = await createTestService({ viewStore });
    try {
      const res = await service.request().get('/readyz').expect(503);
      expect(res.body.checks.projections).toMatchObject({
        ok: false,
        position: 50,
        error: expect.stringMatching(/checkpoint \(position 50\) is beyond the event log's head \(0\).*rebuild-views/),
      });
    } finally {
      await service.stop();
    }
  });
});
