import { createTestService, type TestService } from '../support/test-service';

describe('GET /changes', () => {
  let service: TestService;
  beforeEach(async () => {
    service = await createTestService();
    const put = (id: string, body: object, actor: string, ref?: string) => {
      const req = service.request().put(`/api/v1/cis/${id}`).set('X-Actor', actor);
      if (ref) req.set('X-Change-Ref', ref);
      return req.send(body);
    };
    service.clock.set('2026-04-01T08:00:00.000Z');
    await put('db-1', { type: 'database', name: 'orders' }, 'alice', 'CHG-1').expect(201);
    service.clock.set('2026-04-01T09:00:00.000Z');
    await put('web-1', { type: 'server', name: 'web' }, 'bob').expect(201);
    service.clock.set('2026-04-01T10:00:00.000Z');
    await put('db-1', { type: 'database', name: 'orders-eu' }, 'alice', 'CHG-2').expect(200);
    service.clock.set('2026-04-01T11:00:00.000Z');
    await service
      .request()
      .delete('/api/v1/cis/web-1')
      .set('X-Actor', 'carol')
      .set('X-Change-Ref', 'CHG-2')
      .expect(200);
    service.clock.set('2026-04-01T11:30:00.000Z');
  });
  afterEach(async () => {
    await service.stop();
  });

  const summary = (body: { items: { ciId: string; revision: number }[] }) =>
    body.items.map((i) => `${i.ciId}@${i.revision}`);

  it('lists every change newest first with position, metadata and patch', async () => {
    const res = await service.request().get('/api/v1/changes').expect(200);
    expect(summary(res.body)).toEqual(['web-1@2', 'db-1@2', 'web-1@1', 'db-1@1']);
    expect(res.body.items[1]).toMatchObject({
      position: 3,
      ciId: 'db-1',
      revision: 2,
      eventType: 'CiChanged',
      recordedAt: '2026-04-01T10:00:00.000Z',
      actor: 'alice',
      reason: null,
      changeRef: 'CHG-2',
      patch: [{ op: 'replace', path: '/name', value: 'orders-eu' }],
    });
    expect(res.body.nextCursor).toBeNull();
  });

  it('filters by relative since ("the last two hours") and by RFC 3339 until', async () => {
    expect(summary((await service.request().get('/api/v1/changes?since=2h').expect(200)).body)).toEqual([
      'web-1@2',
      'db-1@2',
    ]);
    expect(
      summary((await service.request().get('/api/v1/changes?since=90m&until=2026-04-01T10:30:00Z').expect(200)).body),
    ).toEqual(['db-1@2']);
  });

  it('filters by CI, CI type, actor, change ref and event type', async () => {
    const get = async (query: string) =>
      summary((await service.request().get(`/api/v1/changes?${query}`).expect(200)).body);
    expect(await get('ciId=db-1')).toEqual(['db-1@2', 'db-1@1']);
    expect(await get('type=server')).toEqual(['web-1@2', 'web-1@1']);
    expect(await get('actor=alice')).toEqual(['db-1@2', 'db-1@1']);
    expect(await get('changeRef=CHG-2')).toEqual(['web-1@2', 'db-1@2']);
    expect(await get('eventType=CiRetired')).toEqual(['web-1@2']);
  });

  it('pages with limit and nextCursor', async () => {
    const first = await service.request().get('/api/v1/changes?limit=3').expect(200);
    expect(summary(first.body)).toEqual(['web-1@2', 'db-1@2', 'web-1@1']);
    const next = await service.request().get(`/api/v1/changes?limit=3&cursor=${first.body.nextCursor}`).expect(200);
    expect(summary(next.body)).toEqual(['db-1@1']);
    expect(next.body.nextCursor).toBeNull();
  });
});
