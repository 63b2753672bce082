import { FlakyEventStore } from '../support/flaky-event-store';
import { createTestService, type TestService } from '../support/test-service';

/** POST /change-sets/{changeRef}/revert (issue #13): dry run, conflicts, force, re-runs, failures midway. */
describe('change-set revert', () => {
  let service: TestService;
  afterEach(() => service.stop());

  const put = (id: string, body: object, ref?: string) => {
    const request = service.request().put(`/api/v1/cis/${id}`);
    if (ref) request.set('X-Change-Ref', ref);
    return request.send(body);
  };
  const patch = (id: string, body: object, ref?: string) => {
    const request = service.request().patch(`/api/v1/cis/${id}`).type('application/merge-patch+json');
    if (ref) request.set('X-Change-Ref', ref);
    return request.send(body);
  };
  const revert = (ref: string, body: object = {}) =>
    service.request().post(`/api/v1/change-sets/${ref}/revert`).set('X-Actor', 'ops').send(body);

  async function releaseGoneWrong() {
    await put('web', { type: 'app', name: 'web', attributes: { version: '1.0', replicas: 2 } }).expect(201);
    await put('db', { type: 'database', name: 'db', attributes: { engine: 'pg 15' } }).expect(201);
    await put('other', { type: 'app', name: 'other' }).expect(201);
    // The release CHG-7: three CIs changed, one registered.
    await patch('web', { attributes: { version: '2.0' } }, 'CHG-7').expect(200);
    await patch('db', { attributes: { engine: 'pg 16' } }, 'CHG-7').expect(200);
    await put('cache', { type: 'cache', name: 'cache' }, 'CHG-7').expect(201);
    // Later, outside the release: web scaled (another field), db's engine hot-fixed (the same field).
    await patch('web', { attributes: { replicas: 4 } }, 'INC-1').expect(200);
    await patch('db', { attributes: { engine: 'pg 16.1' } }, 'INC-2').expect(200);
  }

  it('dry-runs first, reports conflicts without applying them, records the revert under one new reference', async () => {
    service = await createTestService();
    await releaseGoneWrong();
    const head = await service.eventStore.headPosition();
    const dry = await revert('CHG-7', { dryRun: true }).expect(200);
    expect(await service.eventStore.headPosition()).toBe(head);
    expect(dry.body).toMatchObject({ changeRef: 'CHG-7', revertChangeRef: 'revert:CHG-7', dryRun: true });
    const byId = Object.fromEntries(dry.body.items.map((item: { ciId: string }) => [item.ciId, item]));
    expect(Object.keys(byId)).toEqual(['cache', 'db', 'web']);
    expect(byId.web).toMatchObject({
      outcome: 'revert',
      fields: ['/attributes/version'],
      patch: [{ op: 'replace', path: '/attributes/version', value: '1.0' }],
    });
    expect(byId.db).toMatchObject({
      outcome: 'conflict',
      conflicts: [{ revision: 3, changeRef: 'INC-2', fields: ['/attributes/engine'] }],
    });
    expect(byId.cache).toMatchObject({
      outcome: 'retire',
      patch: [{ op: 'replace', path: '/status', value: 'retired' }],
    });

    const real = await revert('CHG-7', { reason: 'release 7 broke checkout' }).expect(200);
    expect(real.body.counts).toEqual({ conflict: 1, reverted: 1, retired: 1 });
    const web = await service.request().get('/api/v1/cis/web').expect(200);
    expect(web.body.attributes).toEqual({ version: '1.0', replicas: 4 }); // the later scaling is kept
    expect((await service.request().get('/api/v1/cis/db').expect(200)).body.attributes.engine).toBe('pg 16.1');
    expect((await service.request().get('/api/v1/cis/cache').expect(200)).body.status).toBe('retired');
    expect((await service.request().get('/api/v1/cis/other').expect(200)).body.revision).toBe(1);
    const feed = await service.request().get('/api/v1/changes?changeRef=revert:CHG-7').expect(200);
    expect(
      feed.body.items.map((i: { ciId: string; source: string; actor: string; reason: string }) => [
        i.ciId,
        i.source,
        i.actor,
        i.reason,
      ]),
    ).toEqual([
      ['web', 'revert', 'ops', 'release 7 broke checkout'],
      ['cache', 'revert', 'ops', 'release 7 broke checkout'],
    ]);

    // Re-run: nothing twice. Forced: the conflicting CI too, overwriting the hot-fix.
    const again = await revert('CHG-7').expect(200);
    expect(again.body.counts).toEqual({ conflict: 1, 'already-reverted': 2 });
    const forced = await revert('CHG-7', { force: true }).expect(200);
    expect(forced.body.counts).toEqual({ reverted: 1, 'already-reverted': 2 });
    expect((await service.request().get('/api/v1/cis/db').expect(200)).body.attributes.engine).toBe('pg 15');
  });

  it('answers 404 for a reference nothing was recorded under, and 400 for a bad body', async () => {
    service = await createTestService();
    const missing = await revert('CHG-404').expect(404);
    expect(missing.body.detail).toMatch(/no change was recorded under change reference "CHG-404"/);
    const bad = await revert('CHG-1', { dryRun: 'yes', surprise: 1 }).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['dryRun', 'surprise']);
    await revert('CHG-1', { changeRef: 'CHG-1' }).expect(400);
  });

  it('says what was changed and what not when the store fails midway, and a re-run completes it', async () => {
    const eventStore = new FlakyEventStore();
    service = await createTestService({ eventStore });
    for (const id of ['a', 'b', 'c']) await put(id, { type: 't', name: id }).expect(201);
    for (const id of ['a', 'b', 'c']) await patch(id, { name: `${id}!` }, 'CHG-9').expect(200);
    eventStore.failAfter = 1; // the second revert append fails
    const stopped = await revert('CHG-9').expect(503);
    expect(stopped.body.done.map((i: { ciId: string; outcome: string }) => [i.ciId, i.outcome])).toEqual([
      ['a', 'reverted'],
    ]);
    expect(stopped.body.notDone).toEqual(['b', 'c']);
    expect(stopped.body.detail).toMatch(/run it again with the same request/);
    eventStore.failAfter = undefined;
    const rerun = await revert('CHG-9').expect(200);
    expect(rerun.body.items.map((i: { ciId: string; outcome: string }) => [i.ciId, i.outcome])).toEqual([
      ['a', 'already-reverted'],
      ['b', 'reverted'],
      ['c', 'reverted'],
    ]);
    for (const id of ['a', 'b', 'c']) {
      const ci = await service.request().get(`/api/v1/cis/${id}`).expect(200);
      expect([ci.body.name, ci.body.revision]).toEqual([id, 3]);
    }
  });
});

/** An in-memory log whose appends fail, as an unreachable store's do, once `failAfter` more have succeeded. */
