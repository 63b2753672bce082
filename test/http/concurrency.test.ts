import { createTestService, type TestService } from '../support/test-service';

const server = { type: 'server', name: 'web-01' };

describe('concurrency and read-after-write', () => {
  let service: TestService;
  beforeEach(async () => {
    service = await createTestService();
  });
  afterEach(async () => {
    await service.stop();
  });

  it('applies a write whose If-Match is the current ETag', async () => {
    await service.request().put('/api/v1/cis/web-01').send(server).expect(201);
    await service
      .request()
      .put('/api/v1/cis/web-01')
      .set('If-Match', '"1"')
      .send({ ...server, name: 'b' })
      .expect(200);
  });

  it.each([
    [
      'PUT',
      (s: TestService) =>
        s
          .request()
          .put('/api/v1/cis/web-01')
          .send({ ...server, name: 'x' }),
    ],
    [
      'PATCH',
      (s: TestService) =>
        s
          .request()
          .patch('/api/v1/cis/web-01')
          .set('Content-Type', 'application/merge-patch+json')
          .send('{"name":"x"}'),
    ],
    ['DELETE', (s: TestService) => s.request().delete('/api/v1/cis/web-01')],
    ['restore', (s: TestService) => s.request().post('/api/v1/cis/web-01/restore').send({ revision: 1 })],
  ])('answers %s with a stale If-Match with 412 and appends nothing', async (_label, write) => {
    await service.request().put('/api/v1/cis/web-01').send(server).expect(201);
    await service
      .request()
      .put('/api/v1/cis/web-01')
      .send({ ...server, name: 'second' })
      .expect(200);
    const res = await write(service).set('If-Match', '"1"').expect(412);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.detail).toMatch(/revision 2/);
    expect(await service.eventStore.headPosition()).toBe(2);
  });

  it('answers If-Match on a CI that does not exist with 412 for PUT and 404 for PATCH', async () => {
    await service.request().put('/api/v1/cis/new').set('If-Match', '"1"').send(server).expect(412);
    await service
      .request()
      .patch('/api/v1/cis/new')
      .set('If-Match', '"1"')
      .set('Content-Type', 'application/merge-patch+json')
      .send('{}')
      .expect(404);
    expect(await service.eventStore.headPosition()).toBe(0);
  });

  it('makes PUT create-only with If-None-Match: *', async () => {
    await service.request().put('/api/v1/cis/web-01').set('If-None-Match', '*').send(server).expect(201);
    const res = await service
      .request()
      .put('/api/v1/cis/web-01')
      .set('If-None-Match', '*')
      .send({ ...server, name: 'x' })
      .expect(412);
    expect(res.body.detail).toMatch(/already exists/);
    expect(await service.eventStore.headPosition()).toBe(1);
  });

  it('refuses a malformed If-Match with 400 naming the header', async () => {
    const res = await service.request().put('/api/v1/cis/web-01').set('If-Match', '1').send(server).expect(400);
    expect(res.body.errors[0].field).toBe('If-Match');
  });

  it('never matches a weak If-Match for a write (RFC 9110 §13.1.1): 412, nothing appended', async () => {
    await service.request().put('/api/v1/cis/web-01').send(server).expect(201);
    const res = await service
      .request()
      .put('/api/v1/cis/web-01')
      .set('If-Match', 'W/"1"')
      .send({ ...server, name: 'x' })
      .expect(412);
    expect(res.body.detail).toMatch(/weak/);
    expect(await service.eventStore.headPosition()).toBe(1);
  });

  it('takes If-Match: * (the CI must exist) and a list of ETags, any of which matches', async () => {
    await service.request().put('/api/v1/cis/web-02').set('If-Match', '*').send(server).expect(412);
    await service.request().put('/api/v1/cis/web-01').send(server).expect(201);
    await service
      .request()
      .put('/api/v1/cis/web-01')
      .set('If-Match', '*')
      .send({ ...server, name: 'a' })
      .expect(200);
    await service
      .request()
      .put('/api/v1/cis/web-01')
      .set('If-Match', '"7", W/"2", "2"')
      .send({ ...server, name: 'b' })
      .expect(200);
    await service
      .request()
      .put('/api/v1/cis/web-01')
      .set('If-Match', '"1", "2"')
      .send({ ...server, name: 'c' })
      .expect(412);
    expect(await service.eventStore.headPosition()).toBe(3);
  });

  it('re-decides racing writes without If-Match: every change lands, one revision each', async () => {
    await service.request().put('/api/v1/cis/web-01').send(server).expect(201);
    const writes = Array.from({ length: 10 }, (_, i) =>
      service
        .request()
        .patch('/api/v1/cis/web-01')
        .set('Content-Type', 'application/merge-patch+json')
        .send(JSON.stringify({ attributes: { [`k${i}`]: i } })),
    );
    const responses = await Promise.all(writes);
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const current = await service.request().get('/api/v1/cis/web-01').expect(200);
    expect(current.body.revision).toBe(11);
    expect(Object.keys(current.body.attributes)).toHaveLength(10);
  });

  it('lets exactly one of two racing If-Match writes win; the other gets 412', async () => {
    await service.request().put('/api/v1/cis/web-01').send(server).expect(201);
    const [a, b] = await Promise.all([
      service
        .request()
        .put('/api/v1/cis/web-01')
        .set('If-Match', '"1"')
        .send({ ...server, name: 'a' }),
      service
        .request()
        .put('/api/v1/cis/web-01')
        .set('If-Match', '"1"')
        .send({ ...server, name: 'b' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    expect(await service.eventStore.headPosition()).toBe(2);
  });

  it('reflects a write in the very next single-CI read (current, revision, history)', async () => {
    for (let i = 0; i < 20; i++) {
      const write = await service
        .request()
        .put('/api/v1/cis/web-01')
        .send({ ...server, name: `n${i}` });
      const read = await service.request().get('/api/v1/cis/web-01').expect(200);
      expect(read.body.name).toBe(`n${i}`);
      expect(read.body.revision).toBe(write.body.revision);
      await service.request().get(`/api/v1/cis/web-01?revision=${write.body.revision}`).expect(200);
    }
  });

  it('waits for ?minPosition on lists and feeds, and answers 503 when the views cannot reach it', async () => {
    const write = await service.request().put('/api/v1/cis/web-01').send(server).expect(201);
    const position = write.headers['x-position'];
    const list = await service.request().get(`/api/v1/cis?minPosition=${position}`).expect(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual(['web-01']);
    await service.request().get(`/api/v1/changes?minPosition=${position}`).expect(200);
    await service.stop();
    service = await createTestService({ readWaitMs: 50 });
    // Projections stopped: the log moves on, the views cannot follow.
    await service.runner.stop();
    const appended = await service.commands.execute(
      { type: 'DeclareCi', ciId: 'late', desired: { type: 'server', name: 'late', attributes: {}, relationships: [] } },
      { metadata: { actor: 'a', reason: null, changeRef: null, source: 'api', correlationId: null } },
    );
    const res = await service.request().get(`/api/v1/changes?minPosition=${appended.position}`).expect(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body.detail).toMatch(new RegExp(String(appended.position)));
  });

  it('refuses at once a ?minPosition beyond the log head: no write ever returned it', async () => {
    await service.request().put('/api/v1/cis/web-01').send(server).expect(201);
    for (const path of ['/api/v1/changes?minPosition=999', '/api/v1/cis?minPosition=999']) {
      const res = await service.request().get(path).expect(400);
      expect(res.body.errors[0]).toEqual({ field: 'minPosition', message: expect.stringMatching(/beyond .*\(1\)/) });
    }
  });
});
