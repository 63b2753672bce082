import { MAX_EDGES_PER_LOOKUP } from '../../projections';
import { createTestService, type TestService } from '../support/test-service';

/**
 * The relationship graph as of any instant, over HTTP: a service runs on an
 * app, which uses a database, which runs on a host; the host is retired at 12:00.
 */
describe('relationship graph', () => {
  let service: TestService;
  const put = (id: string, body: object) =>
    service.request().put(`/api/v1/cis/${id}`).set('X-Actor', 'alice').send(body);
  const BEFORE = '2026-05-01T11:00:00.000Z';

  beforeEach(async () => {
    service = await createTestService();
    service.clock.set('2026-05-01T09:00:00.000Z');
    await put('host-1', { type: 'host', name: 'host 1' }).expect(201);
    await put('db-1', {
      type: 'database',
      name: 'orders db',
      relationships: [{ type: 'runs_on', target: 'host-1' }],
    }).expect(201);
    await put('app-1', {
      type: 'app',
      name: 'orders app',
      relationships: [
        { type: 'uses', target: 'db-1' },
        { type: 'logs_to', target: 'syslog-9' }, // never registered
      ],
    }).expect(201);
    await put('svc-1', {
      type: 'service',
      name: 'orders',
      relationships: [{ type: 'runs_on', target: 'app-1' }],
    }).expect(201);
    service.clock.set('2026-05-01T12:00:00.000Z');
    await service
      .request()
      .delete('/api/v1/cis/host-1')
      .set('X-Actor', 'alice')
      .send({ reason: 'decommissioned' })
      .expect(200);
    service.clock.set('2026-05-01T13:00:00.000Z');
  });
  afterEach(() => service.stop());

  const brief = (items: { ciId: string; depth: number; missing?: boolean }[]) =>
    items.map((i) => `${i.ciId}@${i.depth}${i.missing ? ' missing' : ''}`);

  describe('GET /cis/{id}/relationships', () => {
    it('lists outgoing and incoming edges, flagging targets that do not exist', async () => {
      const res = await service.request().get('/api/v1/cis/app-1/relationships').expect(200);
      expect(res.body.items).toEqual([
        { source: 'app-1', type: 'logs_to', target: 'syslog-9', missing: true },
        { source: 'app-1', type: 'uses', target: 'db-1' },
        { source: 'svc-1', type: 'runs_on', target: 'app-1' },
      ]);
      const incoming = await service.request().get('/api/v1/cis/app-1/relationships?direction=in').expect(200);
      expect(incoming.body.items).toEqual([{ source: 'svc-1', type: 'runs_on', target: 'app-1' }]);
      const outgoing = await service.request().get('/api/v1/cis/db-1/relationships?direction=out').expect(200);
      expect(outgoing.body.items).toEqual([{ source: 'db-1', type: 'runs_on', target: 'host-1' }]);
    });

    it('answers as of an instant: edges that did not exist yet are absent', async () => {
      service.clock.set('2026-05-01T14:00:00.000Z');
      await put('app-1', { type: 'app', name: 'orders app', relationships: [{ type: 'uses', target: 'db-1' }] }).expect(
        200,
      );
      const now = await service.request().get('/api/v1/cis/app-1/relationships?direction=out').expect(200);
      expect(now.body.items).toEqual([{ source: 'app-1', type: 'uses', target: 'db-1' }]);
      const then = await service
        .request()
        .get(`/api/v1/cis/app-1/relationships?direction=out&asOf=${BEFORE}`)
        .expect(200);
      expect(then.body.items).toHaveLength(2);
      const db = await service.request().get('/api/v1/cis/db-1/relationships?direction=in&asOf=2026-05-01T09:00:00Z');
      expect(db.body.items).toEqual([{ source: 'app-1', type: 'uses', target: 'db-1' }]);
    });

    it('is 404 for a CI that does not exist, or did not at that instant', async () => {
      await service.request().get('/api/v1/cis/nobody/relationships').expect(404);
      const res = await service.request().get('/api/v1/cis/svc-1/relationships?asOf=2026-04-01T00:00:00Z').expect(404);
      expect(res.body.detail).toMatch(/did not exist at 2026-04-01T00:00:00.000Z/);
    });

    it('refuses a bad direction naming the field', async () => {
      const res = await service.request().get('/api/v1/cis/app-1/relationships?direction=up').expect(400);
      expect(res.body.errors[0].field).toBe('direction');
    });
  });

  describe('GET /cis/{id}/impact', () => {
    it('walks dependents breadth-first with shortest paths and the relationship types along them', async () => {
      const res = await service.request().get(`/api/v1/cis/host-1/impact?asOf=${BEFORE}`).expect(200);
      expect(res.body).toEqual({
        root: 'host-1',
        asOf: BEFORE,
        truncated: false,
        items: [
          { ciId: 'db-1', depth: 1, path: ['host-1', 'db-1'], via: ['runs_on'] },
          { ciId: 'app-1', depth: 2, path: ['host-1', 'db-1', 'app-1'], via: ['runs_on', 'uses'] },
          { ciId: 'svc-1', depth: 3, path: ['host-1', 'db-1', 'app-1', 'svc-1'], via: ['runs_on', 'uses', 'runs_on'] },
        ],
      });
    });

    it('walks dependencies forwards, flags missing targets, and leaves retired CIs out unless asked', async () => {
      const before = await service.request().get(`/api/v1/cis/svc-1/impact?direction=dependencies&asOf=${BEFORE}`);
      expect(brief(before.body.items)).toEqual(['app-1@1', 'syslog-9@2 missing', 'db-1@2', 'host-1@3']);
      const after = await service.request().get('/api/v1/cis/svc-1/impact?direction=dependencies').expect(200);
      expect(brief(after.body.items)).toEqual(['app-1@1', 'syslog-9@2 missing', 'db-1@2']);
      const all = await service.request().get('/api/v1/cis/svc-1/impact?direction=dependencies&includeRetired=true');
      expect(brief(all.body.items)).toEqual(['app-1@1', 'syslog-9@2 missing', 'db-1@2', 'host-1@3']);
    });

    it('limits the depth and the relationship types followed', async () => {
      const shallow = await service.request().get(`/api/v1/cis/host-1/impact?asOf=${BEFORE}&depth=2`).expect(200);
      expect(brief(shallow.body.items)).toEqual(['db-1@1', 'app-1@2']);
      const runsOn = await service.request().get(`/api/v1/cis/host-1/impact?asOf=${BEFORE}&types=runs_on`).expect(200);
      expect(brief(runsOn.body.items)).toEqual(['db-1@1']);
    });

    it('reports truncation past the limit', async () => {
      const res = await service.request().get(`/api/v1/cis/host-1/impact?asOf=${BEFORE}&limit=2`).expect(200);
      expect(brief(res.body.items)).toEqual(['db-1@1', 'app-1@2']);
      expect(res.body.truncated).toBe(true);
    });

    it('refuses bad parameters, naming each field', async () => {
      const res = await service
        .request()
        .get('/api/v1/cis/host-1/impact?depth=11&direction=sideways&types=a,,b&limit=0')
        .expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'depth',
        'direction',
        'limit',
        'types[1]',
      ]);
    });
  });

  describe('a CI with more incoming relationships than one answer holds', () => {
    it('is a 422 that says how to narrow the question, never a silently cut list', async () => {
      const findKeys = service.viewStore.findKeys.bind(service.viewStore);
      // The view store answers the incoming-edge lookup (the edges' keys) with as many edges as one lookup returns.
      service.viewStore.findKeys = (async (view: string, query: { index?: string }) => {
        if (query.index !== 'graph_incoming') return findKeys(view, query as never);
        return Array.from({ length: MAX_EDGES_PER_LOOKUP }, (_, i) => `s-${i} uses db-1`);
      }) as typeof service.viewStore.findKeys;
      const relationships = await service.request().get('/api/v1/cis/db-1/relationships?direction=in').expect(422);
      expect(relationships.body.errors[0]).toMatchObject({
        field: 'direction',
        message: expect.stringMatching(/direction=out/),
      });
      const impact = await service.request().get('/api/v1/cis/db-1/impact').expect(422);
      expect(impact.body.errors[0]).toMatchObject({
        field: 'depth',
        message: expect.stringMatching(/types= or a smaller depth=/),
      });
    });
  });

  describe('GET /changes?relatedTo=', () => {
    it('narrows the feed to the root and everything it depends on, retired CIs included', async () => {
      service.clock.set('2026-05-01T13:30:00.000Z');
      await put('other-1', { type: 'host', name: 'unrelated' }).expect(201);
      const res = await service.request().get('/api/v1/changes?relatedTo=svc-1&since=6h').expect(200);
      const seen = res.body.items.map((i: { ciId: string; revision: number }) => `${i.ciId}@${i.revision}`);
      expect(seen).toEqual(['host-1@2', 'svc-1@1', 'app-1@1', 'db-1@1', 'host-1@1']);
      const shallow = await service.request().get('/api/v1/changes?relatedTo=svc-1&depth=1').expect(200);
      expect(new Set(shallow.body.items.map((i: { ciId: string }) => i.ciId))).toEqual(new Set(['svc-1', 'app-1']));
      const dependents = await service.request().get('/api/v1/changes?relatedTo=db-1&direction=dependents').expect(200);
      expect(new Set(dependents.body.items.map((i: { ciId: string }) => i.ciId))).toEqual(
        new Set(['db-1', 'app-1', 'svc-1']),
      );
    });

    it('takes the graph as of `until`', async () => {
      service.clock.set('2026-05-01T14:00:00.000Z');
      await put('app-1', { type: 'app', name: 'orders app' }).expect(200); // drops every relationship
      const now = await service.request().get('/api/v1/changes?relatedTo=svc-1').expect(200);
      expect(new Set(now.body.items.map((i: { ciId: string }) => i.ciId))).toEqual(new Set(['svc-1', 'app-1']));
      const then = await service.request().get(`/api/v1/changes?relatedTo=svc-1&until=${BEFORE}`).expect(200);
      expect(new Set(then.body.items.map((i: { ciId: string }) => i.ciId))).toEqual(
        new Set(['svc-1', 'app-1', 'db-1', 'host-1']),
      );
    });

    it('refuses ciId with relatedTo, and depth without it', async () => {
      const both = await service.request().get('/api/v1/changes?relatedTo=svc-1&ciId=db-1').expect(400);
      expect(both.body.errors[0].field).toBe('relatedTo');
      await service.request().get('/api/v1/changes?depth=2').expect(400);
      await service.request().get('/api/v1/changes?relatedTo=nobody').expect(404);
    });
  });
});
