import { createTestService, type TestService } from '../support/test-service';

const web = {
  type: 'server',
  name: 'web-01',
  attributes: { cpu: 4, os: 'debian', tags: ['prod'], decommissionDate: null },
  relationships: [{ type: 'runs_on', target: 'rack-7' }],
};

describe('writes', () => {
  let service: TestService;
  beforeEach(async () => {
    service = await createTestService();
  });
  afterEach(async () => {
    await service.stop();
  });

  describe('PUT /cis/{id}', () => {
    it('creates a CI: 201, Location, ETag, X-Position and the representation', async () => {
      const res = await service.request().put('/api/v1/cis/web-01').send(web).expect(201);
      expect(res.headers['location']).toBe('/api/v1/cis/web-01');
      expect(res.headers['etag']).toBe('"1"');
      expect(Number(res.headers['x-position'])).toBeGreaterThan(0);
      expect(res.body).toEqual({
        id: 'web-01',
        ...web,
        status: 'live',
        revision: 1,
        recordedAt: '2026-01-01T00:00:00.000Z',
      });
    });

    it('keeps null attribute values exactly as sent', async () => {
      await service.request().put('/api/v1/cis/web-01').send(web).expect(201);
      const res = await service.request().get('/api/v1/cis/web-01').expect(200);
      expect(res.body.attributes).toEqual({ cpu: 4, os: 'debian', tags: ['prod'], decommissionDate: null });
    });

    it('changes a CI: 200 with the next revision', async () => {
      await service.request().put('/api/v1/cis/web-01').send(web).expect(201);
      service.clock.advance(1000);
      const res = await service
        .request()
        .put('/api/v1/cis/web-01')
        .send({ ...web, attributes: { cpu: 8 } })
        .expect(200);
      expect(res.body).toMatchObject({ revision: 2, attributes: { cpu: 8 }, recordedAt: '2026-01-01T00:00:01.000Z' });
      expect(res.headers['etag']).toBe('"2"');
    });

    it('appends nothing when nothing differs: 200, same revision, same position', async () => {
      const first = await service.request().put('/api/v1/cis/web-01').send(web).expect(201);
      const again = await service.request().put('/api/v1/cis/web-01').send(web).expect(200);
      expect(again.body.revision).toBe(1);
      expect(again.headers['x-position']).toBe(first.headers['x-position']);
      expect(await service.eventStore.headPosition()).toBe(1);
    });

    it('accepts a representation sent back as read (id, revision and recordedAt included)', async () => {
      const created = await service.request().put('/api/v1/cis/web-01').send(web).expect(201);
      const res = await service
        .request()
        .put('/api/v1/cis/web-01')
        .send({ ...created.body, name: 'renamed' })
        .expect(200);
      expect(res.body).toMatchObject({ name: 'renamed', revision: 2 });
    });

    it('refuses a body whose id differs from the URL', async () => {
      const res = await service
        .request()
        .put('/api/v1/cis/web-01')
        .send({ ...web, id: 'other' })
        .expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
    });
  });

  describe('POST /cis', () => {
    it('registers a new CI with its id in the body', async () => {
      const res = await service
        .request()
        .post('/api/v1/cis')
        .send({ id: 'db-1', type: 'database', name: 'orders' })
        .expect(201);
      expect(res.headers['location']).toBe('/api/v1/cis/db-1');
      expect(res.body).toMatchObject({ id: 'db-1', status: 'live', attributes: {}, relationships: [], revision: 1 });
    });

    it('answers 409 for an id that exists, appending nothing', async () => {
      await service.request().post('/api/v1/cis').send({ id: 'db-1', type: 'database', name: 'orders' }).expect(201);
      const res = await service
        .request()
        .post('/api/v1/cis')
        .send({ id: 'db-1', type: 'database', name: 'x' })
        .expect(409);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.detail).toMatch(/db-1/);
      expect(await service.eventStore.headPosition()).toBe(1);
    });
  });

  describe('PATCH /cis/{id}', () => {
    beforeEach(async () => {
      await service.request().put('/api/v1/cis/web-01').send(web).expect(201);
    });

    it('applies an RFC 7396 merge patch: null removes, objects merge', async () => {
      const res = await service
        .request()
        .patch('/api/v1/cis/web-01')
        .set('Content-Type', 'application/merge-patch+json')
        .send(JSON.stringify({ status: 'maintenance', attributes: { cpu: 16, os: null } }))
        .expect(200);
      expect(res.body).toMatchObject({
        status: 'maintenance',
        attributes: { cpu: 16, tags: ['prod'], decommissionDate: null },
        revision: 2,
      });
      expect(res.body.attributes).not.toHaveProperty('os');
    });

    it('appends nothing for a patch that changes nothing', async () => {
      const res = await service
        .request()
        .patch('/api/v1/cis/web-01')
        .set('Content-Type', 'application/merge-patch+json')
        .send(JSON.stringify({ name: 'web-01' }))
        .expect(200);
      expect(res.body.revision).toBe(1);
      expect(await service.eventStore.headPosition()).toBe(1);
    });

    it('answers 404 for an unknown CI', async () => {
      await service
        .request()
        .patch('/api/v1/cis/nope')
        .set('Content-Type', 'application/merge-patch+json')
        .send(JSON.stringify({ name: 'x' }))
        .expect(404);
    });

    it('answers 415 for a body that is not JSON', async () => {
      const res = await service
        .request()
        .patch('/api/v1/cis/web-01')
        .set('Content-Type', 'text/plain')
        .send('name=x')
        .expect(415);
      expect(res.body.detail).toMatch(/application\/merge-patch\+json/);
    });
  });

  describe('DELETE /cis/{id}', () => {
    it('retires the CI, keeps it readable, and is idempotent', async () => {
      await service.request().put('/api/v1/cis/web-01').send(web).expect(201);
      const res = await service.request().delete('/api/v1/cis/web-01').expect(200);
      expect(res.body).toMatchObject({ status: 'retired', revision: 2 });
      await service
        .request()
        .get('/api/v1/cis/web-01')
        .expect(200, /"retired"/);
      const again = await service.request().delete('/api/v1/cis/web-01').expect(200);
      expect(again.body.revision).toBe(2);
      const history = await service.request().get('/api/v1/cis/web-01/history').expect(200);
      expect(history.body.items.map((i: { eventType: string }) => i.eventType)).toEqual(['CiRegistered', 'CiRetired']);
    });

    it('answers 404 for an unknown CI', async () => {
      await service.request().delete('/api/v1/cis/nope').expect(404);
    });
  });

  describe('change metadata', () => {
    it('records actor, reason, change ref, source and correlation id on the event', async () => {
      const res = await service
        .request()
        .put('/api/v1/cis/web-01')
        .set('X-Actor', 'alice')
        .set('X-Change-Reason', 'new web tier')
        .set('X-Change-Ref', 'CHG-1234')
        .set('X-Request-Id', 'req-42')
        .send(web)
        .expect(201);
      expect(res.headers['x-request-id']).toBe('req-42');
      const history = await service.request().get('/api/v1/cis/web-01/history').expect(200);
      expect(history.body.items[0]).toMatchObject({
        actor: 'alice',
        reason: 'new web tier',
        changeRef: 'CHG-1234',
        source: 'api',
        correlationId: 'req-42',
      });
    });

    it('sets the source from the operation: a client cannot claim one', async () => {
      const res = await service
        .request()
        .put('/api/v1/cis/web-01')
        .set('X-Change-Source', 'restore')
        .send(web)
        .expect(400);
      expect(res.body.errors).toEqual([
        { field: 'X-Change-Source', message: expect.stringMatching(/server records the source from the operation/) },
      ]);
      expect(await service.eventStore.headPosition()).toBe(0);
    });

    it('defaults to the anonymous actor, source api and a generated correlation id', async () => {
      const res = await service.request().put('/api/v1/cis/web-01').send(web).expect(201);
      const history = await service.request().get('/api/v1/cis/web-01/history').expect(200);
      expect(history.body.items[0]).toMatchObject({
        actor: 'anonymous',
        reason: null,
        changeRef: null,
        source: 'api',
        correlationId: res.headers['x-request-id'],
      });
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('recorded time', () => {
    it('never goes backwards for one CI, whatever the clock does', async () => {
      await service.request().put('/api/v1/cis/web-01').send(web).expect(201);
      service.clock.advance(-60_000);
      const res = await service
        .request()
        .put('/api/v1/cis/web-01')
        .send({ ...web, name: 'b' })
        .expect(200);
      expect(res.body.recordedAt).toBe('2026-01-01T00:00:00.001Z');
    });
  });
});
