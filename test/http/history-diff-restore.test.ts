import { encodeCursor } from '../../src/http/request-parsing';
import { createTestService, type TestService } from '../support/test-service';

describe('history, diff and restore', () => {
  let service: TestService;
  beforeEach(async () => {
    service = await createTestService();
    service.clock.set('2026-03-01T00:00:00.000Z');
    await service
      .request()
      .put('/api/v1/cis/app-1')
      .set('X-Actor', 'alice')
      .send({ type: 'application', name: 'shop', attributes: { version: '1.0', replicas: 2 } })
      .expect(201);
    service.clock.set('2026-03-02T00:00:00.000Z');
    await service
      .request()
      .patch('/api/v1/cis/app-1')
      .set('Content-Type', 'application/merge-patch+json')
      .set('X-Actor', 'bob')
      .set('X-Change-Ref', 'CHG-2')
      .send(JSON.stringify({ attributes: { version: '2.0', replicas: null } }))
      .expect(200);
    service.clock.set('2026-03-03T00:00:00.000Z');
    await service.request().delete('/api/v1/cis/app-1').set('X-Change-Reason', 'decommissioned').expect(200);
    service.clock.set('2026-03-04T00:00:00.000Z');
  });
  afterEach(async () => {
    await service.stop();
  });

  it('GET history: every change, oldest first, with who, why, ticket and the patch', async () => {
    const res = await service.request().get('/api/v1/cis/app-1/history').expect(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({
        revision: 1,
        eventType: 'CiRegistered',
        recordedAt: '2026-03-01T00:00:00.000Z',
        actor: 'alice',
        reason: null,
        changeRef: null,
        patch: [
          { op: 'add', path: '/type', value: 'application' },
          { op: 'add', path: '/name', value: 'shop' },
          { op: 'add', path: '/status', value: 'live' },
          { op: 'add', path: '/attributes', value: { version: '1.0', replicas: 2 } },
          { op: 'add', path: '/relationships', value: [] },
        ],
      }),
      expect.objectContaining({
        revision: 2,
        eventType: 'CiChanged',
        actor: 'bob',
        changeRef: 'CHG-2',
        patch: [
          { op: 'remove', path: '/attributes/replicas' },
          { op: 'replace', path: '/attributes/version', value: '2.0' },
        ],
      }),
      expect.objectContaining({
        revision: 3,
        eventType: 'CiRetired',
        reason: 'decommissioned',
        patch: [{ op: 'replace', path: '/status', value: 'retired' }],
      }),
    ]);
  });

  it("GET history's ETag is the CI's revision on every page: the last, a full one, and one past the end", async () => {
    const expectPage = async (query: string, revisions: number[]) => {
      const res = await service.request().get(`/api/v1/cis/app-1/history${query}`).expect(200);
      expect(res.headers['etag']).toBe('"3"');
      expect(res.body.items.map((item: { revision: number }) => item.revision)).toEqual(revisions);
      return res.body.nextCursor as string | null;
    };
    expect(await expectPage('', [1, 2, 3])).toBeNull();
    const next = await expectPage('?limit=2', [1, 2]);
    expect(next).not.toBeNull();
    expect(await expectPage(`?limit=2&cursor=${encodeURIComponent(next!)}`, [3])).toBeNull();
    expect(await expectPage('?limit=3', [1, 2, 3])).toBeNull();
    // A page after the last change is empty, and still says which revision the CI is at.
    expect(await expectPage(`?cursor=${encodeURIComponent(encodeCursor({ after: 3 }))}`, [])).toBeNull();
  });

  it('GET history answers 404 for an unknown CI', async () => {
    await service.request().get('/api/v1/cis/nope/history').expect(404);
  });

  it('GET diff between revisions, between instants, and to the current state by default', async () => {
    const byRevision = await service.request().get('/api/v1/cis/app-1/diff?from=1&to=3').expect(200);
    expect(byRevision.body).toEqual({
      from: { revision: 1, recordedAt: '2026-03-01T00:00:00.000Z' },
      to: { revision: 3, recordedAt: '2026-03-03T00:00:00.000Z' },
      patch: [
        { op: 'replace', path: '/status', value: 'retired' },
        { op: 'remove', path: '/attributes/replicas' },
        { op: 'replace', path: '/attributes/version', value: '2.0' },
      ],
    });
    const byTime = await service
      .request()
      .get('/api/v1/cis/app-1/diff?from=2026-03-01T12:00:00Z&to=2026-03-02T12:00:00Z')
      .expect(200);
    expect(byTime.body.from.revision).toBe(1);
    expect(byTime.body.to.revision).toBe(2);
    const toCurrent = await service.request().get('/api/v1/cis/app-1/diff?from=2').expect(200);
    expect(toCurrent.body.to.revision).toBe(3);
    expect(toCurrent.body.patch).toEqual([{ op: 'replace', path: '/status', value: 'retired' }]);
  });

  it('GET diff names the point the CI never had', async () => {
    const res = await service.request().get('/api/v1/cis/app-1/diff?from=2025-01-01T00:00:00Z&to=2').expect(422);
    expect(res.body.errors[0].field).toBe('from');
    await service.request().get('/api/v1/cis/app-1/diff?from=1&to=9').expect(422);
  });

  it('POST restore dryRun returns the patch and appends nothing', async () => {
    const res = await service
      .request()
      .post('/api/v1/cis/app-1/restore')
      .send({ revision: 1, dryRun: true })
      .expect(200);
    expect(res.body).toEqual({
      patch: [
        { op: 'replace', path: '/status', value: 'live' },
        { op: 'add', path: '/attributes/replicas', value: 2 },
        { op: 'replace', path: '/attributes/version', value: '1.0' },
      ],
    });
    expect(await service.eventStore.headPosition()).toBe(3);
  });

  it('POST restore brings a retired CI back to an earlier state in one new event', async () => {
    const res = await service
      .request()
      .post('/api/v1/cis/app-1/restore')
      .set('X-Actor', 'carol')
      .send({ asOf: '2026-03-01T06:00:00Z', reason: 'rollback after incident', changeRef: 'INC-9' })
      .expect(200);
    expect(res.body).toMatchObject({ status: 'live', attributes: { version: '1.0', replicas: 2 }, revision: 4 });
    expect(res.headers['etag']).toBe('"4"');
    const history = await service.request().get('/api/v1/cis/app-1/history').expect(200);
    expect(history.body.items).toHaveLength(4);
    expect(history.body.items[3]).toMatchObject({
      eventType: 'CiRestored',
      actor: 'carol',
      reason: 'rollback after incident',
      changeRef: 'INC-9',
      source: 'restore',
    });
    // The earlier history is untouched: revision 2 still reads as it was.
    const r2 = await service.request().get('/api/v1/cis/app-1?revision=2').expect(200);
    expect(r2.body.attributes).toEqual({ version: '2.0' });
  });

  it('POST restore to the current state appends nothing', async () => {
    const res = await service.request().post('/api/v1/cis/app-1/restore').send({ revision: 3 }).expect(200);
    expect(res.body.revision).toBe(3);
    expect(await service.eventStore.headPosition()).toBe(3);
  });

  it('POST restore refuses a point the CI never had, an unknown CI, and an ambiguous body', async () => {
    const before = await service
      .request()
      .post('/api/v1/cis/app-1/restore')
      .send({ asOf: '2020-01-01T00:00:00Z' })
      .expect(422);
    expect(before.body.errors[0].field).toBe('asOf');
    const missing = await service.request().post('/api/v1/cis/app-1/restore').send({ revision: 7 }).expect(422);
    expect(missing.body.detail).toMatch(/revisions are 1 to 3/);
    await service.request().post('/api/v1/cis/nope/restore').send({ revision: 1 }).expect(404);
    const both = await service
      .request()
      .post('/api/v1/cis/app-1/restore')
      .send({ revision: 1, asOf: '2026-03-01T06:00:00Z' })
      .expect(400);
    expect(both.body.detail).toMatch(/exactly one of asOf/);
    await service.request().post('/api/v1/cis/app-1/restore').send({}).expect(400);
    expect(await service.eventStore.headPosition()).toBe(3);
  });
});
