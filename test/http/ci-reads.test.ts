import { createTestService, type TestService } from '../support/test-service';

describe('reads', () => {
  let service: TestService;
  beforeEach(async () => {
    service = await createTestService();
  });
  afterEach(async () => {
    await service.stop();
  });

  /** web-01: r1 at 00:00 (cpu 2), r2 at 01:00 (cpu 4), r3 retired at 02:00. */
  async function seedHistory() {
    const put = (body: object) => service.request().put('/api/v1/cis/web-01').send(body);
    service.clock.set('2026-01-01T00:00:00.000Z');
    await put({ type: 'server', name: 'web', attributes: { cpu: 2 } }).expect(201);
    service.clock.set('2026-01-01T01:00:00.000Z');
    await put({ type: 'server', name: 'web', attributes: { cpu: 4 } }).expect(200);
    service.clock.set('2026-01-01T02:00:00.000Z');
    await service.request().delete('/api/v1/cis/web-01').expect(200);
  }

  describe('GET /cis/{id}', () => {
    it('returns the current state with its ETag, and 304 for a matching If-None-Match', async () => {
      await seedHistory();
      const res = await service.request().get('/api/v1/cis/web-01').expect(200);
      expect(res.body).toMatchObject({ id: 'web-01', status: 'retired', attributes: { cpu: 4 }, revision: 3 });
      expect(res.headers['etag']).toBe('"3"');
      await service.request().get('/api/v1/cis/web-01').set('If-None-Match', '"3"').expect(304);
    });

    it('returns the state as of an instant, 404 before the CI existed', async () => {
      await seedHistory();
      const at = (asOf: string) => service.request().get(`/api/v1/cis/web-01?asOf=${encodeURIComponent(asOf)}`);
      expect((await at('2026-01-01T00:30:00Z').expect(200)).body).toMatchObject({
        revision: 1,
        attributes: { cpu: 2 },
      });
      expect((await at('2026-01-01T01:00:00.000Z').expect(200)).body).toMatchObject({
        revision: 2,
        attributes: { cpu: 4 },
      });
      expect((await at('2026-01-01T03:00:00+01:00').expect(200)).body).toMatchObject({
        revision: 3,
        status: 'retired',
      });
      const before = await at('2025-12-31T23:59:59Z').expect(404);
      expect(before.body.detail).toMatch(/did not exist at 2025-12-31T23:59:59.000Z/);
    });

    it('returns the state at a revision, 404 for one that does not exist', async () => {
      await seedHistory();
      expect((await service.request().get('/api/v1/cis/web-01?revision=2').expect(200)).body).toMatchObject({
        revision: 2,
        recordedAt: '2026-01-01T01:00:00.000Z',
      });
      await service.request().get('/api/v1/cis/web-01?revision=4').expect(404);
    });

    it('answers 404 with a problem for an unknown CI', async () => {
      const res = await service.request().get('/api/v1/cis/nope').expect(404);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 404, title: 'CI not found' });
    });
  });

  describe('GET /cis', () => {
    beforeEach(async () => {
      const put = (id: string, body: object) => service.request().put(`/api/v1/cis/${id}`).send(body).expect(201);
      service.clock.set('2026-02-01T00:00:00.000Z');
      await put('vm-2', { type: 'vm', name: 'vm 2' });
      await put('db-1', { type: 'database', name: 'orders' });
      service.clock.set('2026-02-02T00:00:00.000Z');
      await put('srv-1', { type: 'server', name: 'srv', status: 'maintenance' });
      await put('old-1', { type: 'server', name: 'old' });
      service.clock.set('2026-02-03T00:00:00.000Z');
      await service.request().delete('/api/v1/cis/old-1').expect(200);
    });

    const ids = (body: { items: { id: string }[] }) => body.items.map((item) => item.id);

    it('lists current CIs in id order, without retired ones unless asked', async () => {
      expect(ids((await service.request().get('/api/v1/cis').expect(200)).body)).toEqual(['db-1', 'srv-1', 'vm-2']);
      expect(ids((await service.request().get('/api/v1/cis?includeRetired=true').expect(200)).body)).toEqual([
        'db-1',
        'old-1',
        'srv-1',
        'vm-2',
      ]);
    });

    it('filters by type and status', async () => {
      expect(ids((await service.request().get('/api/v1/cis?type=server').expect(200)).body)).toEqual(['srv-1']);
      expect(ids((await service.request().get('/api/v1/cis?status=retired').expect(200)).body)).toEqual(['old-1']);
      expect(ids((await service.request().get('/api/v1/cis?status=maintenance&type=server').expect(200)).body)).toEqual(
        ['srv-1'],
      );
    });

    it('pages with limit and nextCursor until nextCursor is null', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `&cursor=${cursor}` : '';
        const res = await service.request().get(`/api/v1/cis?limit=1&includeRetired=true${query}`).expect(200);
        seen.push(...ids(res.body));
        cursor = res.body.nextCursor;
        pages += 1;
      } while (cursor && pages < 10);
      expect(seen).toEqual(['db-1', 'old-1', 'srv-1', 'vm-2']);
    });

    it('lists the whole inventory as of an instant', async () => {
      const asOf = (instant: string, extra = '') =>
        service.request().get(`/api/v1/cis?asOf=${instant}${extra}`).expect(200);
      expect(ids((await asOf('2026-02-01T12:00:00Z')).body)).toEqual(['db-1', 'vm-2']);
      expect(ids((await asOf('2026-02-02T12:00:00Z')).body)).toEqual(['db-1', 'old-1', 'srv-1', 'vm-2']);
      expect(ids((await asOf('2026-02-03T12:00:00Z')).body)).toEqual(['db-1', 'srv-1', 'vm-2']);
      expect(ids((await asOf('2026-02-03T12:00:00Z', '&includeRetired=true&type=server')).body)).toEqual([
        'old-1',
        'srv-1',
      ]);
      expect(ids((await asOf('2026-01-01T00:00:00Z')).body)).toEqual([]);
      const page = await asOf('2026-02-02T12:00:00Z', '&limit=2');
      expect(ids(page.body)).toEqual(['db-1', 'old-1']);
      const next = await asOf('2026-02-02T12:00:00Z', `&limit=2&cursor=${page.body.nextCursor}`);
      expect(ids(next.body)).toEqual(['srv-1', 'vm-2']);
    });

    it('writes each listed CI exactly as GET /cis/{id} writes it, now and as of an instant', async () => {
      // Members sent out of the representation's order, then changed by a merge patch.
      service.clock.set('2026-02-04T00:00:00.000Z');
      const put = await service
        .request()
        .put('/api/v1/cis/app-1')
        .send({
          relationships: [{ target: 'srv-1', type: 'runs_on' }],
          attributes: { zeta: 'é "q" \\ \u2028', alpha: [1.5, { nested: null }] },
          name: 'app',
          type: 'application',
        })
        .expect(201);
      service.clock.set('2026-02-05T00:00:00.000Z');
      const patched = await service
        .request()
        .patch('/api/v1/cis/app-1')
        .set('content-type', 'application/merge-patch+json')
        .send({ status: 'maintenance', attributes: { alpha: null, beta: 2 } })
        .expect(200);
      // A read is written from the stored JSON, a write's answer from the document it parsed: the same
      // representation, members in its order, written as JSON.stringify writes it.
      const order = ['id', 'type', 'name', 'status', 'attributes', 'relationships', 'revision', 'recordedAt'];
      for (const [query, written] of [
        ['', patched],
        ['?revision=2', patched],
        ['?revision=1', put],
        ['?asOf=2026-02-04T12:00:00.000Z', put],
      ] as const) {
        const read = await service.request().get(`/api/v1/cis/app-1${query}`).expect(200);
        expect(read.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(read.headers.etag).toBe(written.headers.etag);
        expect(read.body).toEqual(written.body);
        expect(Object.keys(read.body)).toEqual(order);
        expect(read.text).toBe(JSON.stringify(read.body));
      }
      for (const asOf of [undefined, '2026-02-04T12:00:00.000Z', '2026-02-05T00:00:00.000Z']) {
        const query = asOf ? `?asOf=${asOf}&` : '?';
        const listed = await service.request().get(`/api/v1/cis${query}includeRetired=true`).expect(200);
        expect(listed.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(ids(listed.body)).toEqual(['app-1', 'db-1', 'old-1', 'srv-1', 'vm-2']);
        for (const item of listed.body.items as { id: string }[]) {
          const alone = await service
            .request()
            .get(`/api/v1/cis/${item.id}${asOf ? `?asOf=${asOf}` : ''}`)
            .expect(200);
          // Parsing keeps members in order, so this compares the bytes each answer was written as.
          expect(JSON.stringify(item)).toBe(alone.text);
        }
      }
      const now = await service.request().get('/api/v1/cis?type=application').expect(200);
      expect(now.body.items[0]).toMatchObject({
        status: 'maintenance',
        attributes: { zeta: 'é "q" \\ \u2028', beta: 2 },
      });
    });
  });
});
