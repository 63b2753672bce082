import { createTestService, type TestService } from '../support/test-service';

/** POST /reconciliations (issue #14): the record checked against an observed snapshot; drift applied on request. */
describe('reconciliations', () => {
  let service: TestService;
  beforeEach(async () => {
    service = await createTestService();
    for (const [id, cpu] of [
      ['s1', 2],
      ['s2', 4],
      ['s3', 8],
    ] as const) {
      await service
        .request()
        .put(`/api/v1/cis/${id}`)
        .send({ type: 'server', name: id, status: 'live', attributes: { cpu } })
        .expect(201);
    }
    await service.request().put('/api/v1/cis/v1').send({ type: 'vm', name: 'v1' }).expect(201);
  });
  afterEach(() => service.stop());

  const snapshot = [
    { id: 's1', type: 'server', name: 's1', attributes: { cpu: 2 } }, // as recorded
    { id: 's2', type: 'server', name: 's2', attributes: { cpu: 16, root_password: 'Clear-Pw-1' } }, // drifted
    { id: 's4', type: 'server', name: 's4', attributes: { cpu: 1 } }, // new
  ]
    .map((line) => JSON.stringify(line))
    .concat(['{"id": broken'])
    .join('\n');
  const reconcile = (query: string, body = snapshot) =>
    service
      .request()
      .post(`/api/v1/reconciliations?${query}`)
      .set('Content-Type', 'application/x-ndjson')
      .set('X-Change-Ref', 'DISC-1')
      .send(body);

  it('reports new, missing and drifted CIs without writing anything, and keeps the report', async () => {
    const head = await service.eventStore.headPosition();
    const res = await reconcile('source=scanner&scope=type:server').expect(201);
    expect(await service.eventStore.headPosition()).toBe(head);
    expect(res.body).toMatchObject({
      source: 'scanner',
      scope: 'type:server',
      apply: false,
      counts: { observed: 3, matching: 1, drift: 1, new: 1, missing: 1, invalid: 1, applied: 0 },
    });
    expect(res.headers['location']).toBe(`/api/v1/reconciliations/${res.body.id}`);
    const report = await service.request().get(`/api/v1/reconciliations/${res.body.id}`).expect(200);
    const byKind = (kind: string) => report.body.items.filter((i: { kind: string }) => i.kind === kind);
    expect(byKind('drift')).toEqual([
      {
        kind: 'drift',
        ciId: 's2',
        patch: [
          { op: 'add', path: '/attributes/root_password', value: { $secret: expect.stringMatching(/^hmac-sha256:/) } },
          { op: 'replace', path: '/attributes/cpu', value: 16 },
        ],
      },
    ]);
    expect(byKind('new').map((i: { ciId: string }) => i.ciId)).toEqual(['s4']);
    expect(byKind('missing').map((i: { ciId: string }) => i.ciId)).toEqual(['s3']); // v1 is out of scope
    expect(byKind('invalid')).toEqual([
      { kind: 'invalid', line: 4, errors: [expect.objectContaining({ field: '(line)' })] },
    ]);
    expect(JSON.stringify(report.body)).not.toContain('Clear-Pw-1');
    const list = await service.request().get('/api/v1/reconciliations').expect(200);
    expect(list.body.items.map((r: { id: string }) => r.id)).toEqual([res.body.id]);
    const page = await service.request().get(`/api/v1/reconciliations/${res.body.id}?limit=2`).expect(200);
    expect(page.body.items).toHaveLength(2);
    const rest = await service
      .request()
      .get(`/api/v1/reconciliations/${res.body.id}?limit=2&cursor=${page.body.nextCursor}`)
      .expect(200);
    expect([rest.body.items.length, rest.body.nextCursor]).toEqual([2, null]);
  });

  it('applies the observed state with source discovery, and re-applying the same snapshot appends nothing', async () => {
    const applied = await reconcile('source=scanner&scope=type:server&apply=true').expect(201);
    expect(applied.body.counts).toMatchObject({ drift: 1, new: 1, applied: 2 });
    const s2 = await service.request().get('/api/v1/cis/s2').expect(200);
    expect(s2.body).toMatchObject({ status: 'live', attributes: { cpu: 16 } });
    const feed = await service.request().get('/api/v1/changes?changeRef=DISC-1').expect(200);
    expect(feed.body.items.map((i: { ciId: string; source: string }) => `${i.ciId} ${i.source}`).sort()).toEqual([
      's2 discovery',
      's4 discovery',
    ]);
    const head = await service.eventStore.headPosition();
    const again = await reconcile('source=scanner&scope=type:server&apply=true').expect(201);
    expect(again.body.counts).toMatchObject({ matching: 3, drift: 0, new: 0, applied: 0, missing: 1 });
    expect(await service.eventStore.headPosition()).toBe(head);
  });

  it('refuses bad options by name, and reports an unknown report as 404', async () => {
    const bad = await reconcile('scope=rack&apply=maybe').expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['apply', 'scope', 'source']);
    await service.request().post('/api/v1/reconciliations?source=x').send({ id: 'a' }).expect(415);
    await service.request().get('/api/v1/reconciliations/nope').expect(404);
  });
});
