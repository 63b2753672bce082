import { createTestService, type TestService } from '../support/test-service';

/** Reports (issue #14): the estate by type and status as of any instant, lifecycle transitions, renewals; JSON or CSV. */
describe('reports', () => {
  let service: TestService;
  beforeEach(async () => {
    service = await createTestService();
  });
  afterEach(() => service.stop());

  const put = (id: string, body: object) =>
    service
      .request()
      .put(`/api/v1/cis/${id}`)
      .send(body)
      .expect((r) => expect(r.status).toBeLessThan(300));
  const tick = (ms = 60_000) => service.clock.advance(ms);

  it('counts CIs by type and status, now and as of an instant, as JSON or CSV', async () => {
    await put('s1', { type: 'server', name: 's1' });
    await put('s2', { type: 'server', name: 's2', status: 'planned' });
    await put('v1', { type: 'vm', name: 'v1' });
    tick();
    const before = service.clock.now().toISOString();
    tick();
    await put('s2', { type: 'server', name: 's2', status: 'live' });
    await service.request().delete('/api/v1/cis/v1').expect(200);

    const now = await service.request().get('/api/v1/reports/status').expect(200);
    expect(now.body).toEqual({
      asOf: null,
      total: 3,
      items: [
        { type: 'server', status: 'live', count: 2 },
        { type: 'vm', status: 'retired', count: 1 },
      ],
    });
    const then = await service.request().get(`/api/v1/reports/status?asOf=${before}`).expect(200);
    expect(then.body.items).toEqual([
      { type: 'server', status: 'live', count: 1 },
      { type: 'server', status: 'planned', count: 1 },
      { type: 'vm', status: 'live', count: 1 },
    ]);
    const csv = await service.request().get('/api/v1/reports/status').set('Accept', 'text/csv').expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text).toBe('type,status,count\nserver,live,2\nvm,retired,1\n');
    await service.request().get('/api/v1/reports/status?asOf=2999-01-01T00:00:00Z').expect(400);
  });

  it('lists lifecycle transitions in a window, in pages, and refuses an impossible window', async () => {
    const start = service.clock.now().toISOString();
    tick();
    await put('a', { type: 'server', name: 'a', status: 'planned' });
    tick();
    await put('a', { type: 'server', name: 'a', status: 'live' });
    await put('b', { type: 'server', name: 'b', status: 'live' });
    await put('a', { type: 'server', name: 'a-renamed', status: 'live' }); // not a transition
    tick();
    await service.request().delete('/api/v1/cis/b').expect(200);
    await service.request().delete('/api/v1/cis/a').expect(200);
    const all = await service.request().get(`/api/v1/reports/transitions?since=${start}`).expect(200);
    expect(
      all.body.items.map((t: { ciId: string; from: string; to: string }) => `${t.ciId} ${t.from}→${t.to}`),
    ).toEqual(['a planned→live', 'a live→retired', 'b live→retired']);
    const first = await service.request().get(`/api/v1/reports/transitions?since=${start}&limit=2`).expect(200);
    expect(first.body.items).toHaveLength(2);
    const rest = await service
      .request()
      .get(`/api/v1/reports/transitions?since=${start}&limit=2&cursor=${first.body.nextCursor}`)
      .expect(200);
    expect([rest.body.items.map((t: { ciId: string }) => t.ciId), rest.body.nextCursor]).toEqual([['b'], null]);
    const csv = await service.request().get(`/api/v1/reports/transitions?since=${start}&format=csv`).expect(200);
    expect(csv.text.split('\n')[0]).toBe('ciId,type,from,to,revision,recordedAt');
    const impossible = await service
      .request()
      .get('/api/v1/reports/transitions?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z')
      .expect(400);
    expect(impossible.body.errors[0].field).toBe('since');
    await service.request().get('/api/v1/reports/transitions').expect(400); // since is required
  });

  it('lists warranties, licences and support contracts ending within the window, typed names included', async () => {
    // The test clock starts at 2026-01-01.
    await service
      .request()
      .put('/api/v1/types/appliance')
      .send({ schema: { properties: { careEnds: { type: 'string', format: 'date', 'x-end-date': 'support' } } } })
      .expect(201);
    await put('s1', {
      type: 'server',
      name: 's1',
      attributes: { warrantyEnd: '2026-02-15', supportEnd: '2027-06-01' },
    });
    await put('s2', { type: 'server', name: 's2', attributes: { warrantyEnd: '2025-12-01' } }); // already ended
    await put('l1', { type: 'licence', name: 'l1', attributes: { licenceEnd: '2026-03-01' } });
    await put('a1', { type: 'appliance', name: 'a1', attributes: { careEnds: '2026-01-20' } });
    await put('r1', { type: 'server', name: 'r1', status: 'retired', attributes: { warrantyEnd: '2026-01-10' } });
    const soon = await service.request().get('/api/v1/reports/renewals?within=90d').expect(200);
    expect(
      soon.body.items.map((r: { ciId: string; ends: string; date: string }) => `${r.date} ${r.ends} ${r.ciId}`),
    ).toEqual(['2026-01-20 support a1', '2026-02-15 warranty s1', '2026-03-01 licence l1']);
    expect(soon.body.nextCursor).toBeNull();
    const first = await service.request().get('/api/v1/reports/renewals?within=90d&limit=2').expect(200);
    const rest = await service
      .request()
      .get(`/api/v1/reports/renewals?within=90d&limit=2&cursor=${first.body.nextCursor}`)
      .expect(200);
    expect([...first.body.items, ...rest.body.items]).toEqual(soon.body.items);
    expect(rest.body.nextCursor).toBeNull();
    const month = await service.request().get('/api/v1/reports/renewals?within=30d').expect(200);
    expect(month.body.items.map((r: { ciId: string }) => r.ciId)).toEqual(['a1']);
    const csv = await service.request().get('/api/v1/reports/renewals').set('Accept', 'text/csv').expect(200);
    expect(csv.text.split('\n').slice(0, 2)).toEqual([
      'date,ends,ciId,type,name,status,attribute',
      '2026-01-20,support,a1,appliance,a1,live,careEnds',
    ]);
    const bad = await service.request().get('/api/v1/reports/renewals?within=-5d').expect(400);
    expect(bad.body.errors[0].field).toBe('within');
  });
});
