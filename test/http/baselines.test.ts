import { FlakyEventStore } from '../support/flaky-event-store';
import { createTestService, type TestService } from '../support/test-service';

/** Baselines (issue #13): take by selector at a point, read, diff, restore; names never reused. */
describe('baselines', () => {
  let service: TestService;
  afterEach(() => service.stop());

  const put = (id: string, body: object) => service.request().put(`/api/v1/cis/${id}`).send(body);
  const take = (body: object) => service.request().post('/api/v1/baselines').set('X-Actor', 'cm').send(body);
  const tick = () => service.clock.advance(1000);

  async function estate() {
    await put('web-1', { type: 'server', name: 'web-1', attributes: { os: 'debian 12' } }).expect(201);
    await put('web-2', { type: 'server', name: 'web-2', attributes: { os: 'debian 12' } }).expect(201);
    await put('app', { type: 'application', name: 'shop' }).expect(201);
    tick();
  }

  it('freezes the selected CIs at now, at an instant or a position, and names must be new', async () => {
    service = await createTestService();
    await estate();
    const t1 = service.clock.now().toISOString();
    const position1 = await service.eventStore.headPosition();
    tick();
    await put('web-1', { type: 'server', name: 'web-1', attributes: { os: 'debian 13' } }).expect(200);
    await put('web-3', { type: 'server', name: 'web-3' }).expect(201);

    const now = await take({ name: 'servers-now', selector: { type: 'server' }, changeRef: 'CHG-1' }).expect(201);
    expect(now.headers['location']).toBe('/api/v1/baselines/servers-now');
    expect(now.body).toMatchObject({ name: 'servers-now', asOf: null, members: 3, actor: 'cm', changeRef: 'CHG-1' });
    const atT1 = await take({ name: 'servers-t1', asOf: t1, selector: { type: 'server' } }).expect(201);
    expect(atT1.body).toMatchObject({ asOf: t1, members: 2 });
    const atP1 = await take({ name: 'all-p1', position: position1 }).expect(201);
    expect(atP1.body).toMatchObject({ position: position1, members: 3 });

    const states = await service.request().get('/api/v1/baselines/servers-t1').expect(200);
    expect(
      states.body.items.map((ci: { id: string; revision: number; attributes: object }) => [
        ci.id,
        ci.revision,
        ci.attributes,
      ]),
    ).toEqual([
      ['web-1', 1, { os: 'debian 12' }],
      ['web-2', 1, { os: 'debian 12' }],
    ]);
    const page = await service.request().get('/api/v1/baselines/all-p1?limit=2').expect(200);
    expect(page.body.items.map((ci: { id: string }) => ci.id)).toEqual(['app', 'web-1']);
    const rest = await service
      .request()
      .get(`/api/v1/baselines/all-p1?limit=2&cursor=${page.body.nextCursor}`)
      .expect(200);
    expect([rest.body.items.map((ci: { id: string }) => ci.id), rest.body.nextCursor]).toEqual([['web-2'], null]);

    const reused = await take({ name: 'servers-now' }).expect(409);
    expect(reused.body.detail).toMatch(/exists already/);
    const list = await service.request().get('/api/v1/baselines').expect(200);
    expect(list.body.items.map((b: { name: string }) => b.name)).toEqual(['all-p1', 'servers-now', 'servers-t1']);

    const empty = await take({ name: 'no-routers', selector: { type: 'router' } }).expect(201);
    expect(empty.body).toMatchObject({ members: 0, note: expect.stringMatching(/empty/) });
  });

  it('diffs against now, an instant or another baseline: added, removed, changed', async () => {
    service = await createTestService();
    await estate();
    await take({ name: 'before', selector: { type: 'server' } }).expect(201);
    tick();
    const t = service.clock.now().toISOString();
    tick();
    await put('web-1', { type: 'server', name: 'web-1', attributes: { os: 'debian 13' } }).expect(200);
    await put('web-2', { type: 'vm', name: 'web-2' }).expect(200); // no longer a server
    await put('web-3', { type: 'server', name: 'web-3' }).expect(201);

    const diff = await service.request().get('/api/v1/baselines/before/diff').expect(200);
    expect(diff.body.items).toEqual([
      { ciId: 'web-1', change: 'changed', patch: [{ op: 'replace', path: '/attributes/os', value: 'debian 13' }] },
      {
        ciId: 'web-2',
        change: 'removed',
        patch: expect.arrayContaining([{ op: 'replace', path: '/type', value: 'vm' }]),
      },
      { ciId: 'web-3', change: 'added', patch: expect.arrayContaining([{ op: 'add', path: '/name', value: 'web-3' }]) },
    ]);
    expect((await service.request().get(`/api/v1/baselines/before/diff?against=${t}`).expect(200)).body.items).toEqual(
      [],
    );
    await take({ name: 'after', selector: { type: 'server' } }).expect(201);
    const between = await service.request().get('/api/v1/baselines/before/diff?against=baseline:after').expect(200);
    expect(between.body.items.map((i: { ciId: string; change: string }) => [i.ciId, i.change])).toEqual([
      ['web-1', 'changed'],
      ['web-2', 'removed'],
      ['web-3', 'added'],
    ]);
    const bad = await service.request().get('/api/v1/baselines/before/diff?against=yesterday').expect(400);
    expect(bad.body.errors[0].field).toBe('against');
    await service.request().get('/api/v1/baselines/nope/diff').expect(404);
  });

  it('restores: a dry run first, then one restore event per differing CI under one reference; a re-run adds nothing', async () => {
    service = await createTestService();
    await estate();
    await take({ name: 'good' }).expect(201);
    tick();
    await put('web-1', { type: 'server', name: 'web-1', attributes: { os: 'broken' } }).expect(200);
    await service.request().delete('/api/v1/cis/app').expect(200);
    await put('new', { type: 'server', name: 'new' }).expect(201);
    const head = await service.eventStore.headPosition();

    const dry = await service.request().post('/api/v1/baselines/good/restore').send({ dryRun: true }).expect(200);
    expect(await service.eventStore.headPosition()).toBe(head);
    expect(dry.body.items).toEqual([
      { ciId: 'app', outcome: 'restore', patch: [{ op: 'replace', path: '/status', value: 'live' }], revision: 2 },
      { ciId: 'new', outcome: 'not-in-baseline', patch: [], revision: 1 },
      {
        ciId: 'web-1',
        outcome: 'restore',
        patch: [{ op: 'replace', path: '/attributes/os', value: 'debian 12' }],
        revision: 2,
      },
    ]);
    const real = await service
      .request()
      .post('/api/v1/baselines/good/restore')
      .send({ changeRef: 'CHG-42' })
      .expect(200);
    expect(real.body.counts).toEqual({ restored: 2, 'not-in-baseline': 1 });
    const feed = await service.request().get('/api/v1/changes?changeRef=CHG-42').expect(200);
    expect(
      feed.body.items.map((i: { ciId: string; eventType: string; source: string }) => [i.ciId, i.eventType, i.source]),
    ).toEqual([
      ['web-1', 'CiRestored', 'restore'],
      ['app', 'CiRestored', 'restore'],
    ]);
    expect((await service.request().get('/api/v1/baselines/good/diff').expect(200)).body.items).toEqual([
      expect.objectContaining({ ciId: 'new', change: 'added' }),
    ]);
    const again = await service
      .request()
      .post('/api/v1/baselines/good/restore')
      .send({ changeRef: 'CHG-42' })
      .expect(200);
    expect(again.body.counts).toEqual({ 'not-in-baseline': 1 });
    expect(await service.eventStore.headPosition()).toBe(head + 2);
  });

  it('refuses bad input by field', async () => {
    service = await createTestService();
    await estate();
    const bad = await take({ name: 'bad name', asOf: 'yesterday', selector: { colour: 'red' } }).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['asOf', 'name', 'selector.colour']);
    await take({ name: 'both', asOf: '2026-01-01T00:00:00Z', position: 1 }).expect(400);
    const future = await take({ name: 'future', asOf: '2999-01-01T00:00:00Z' }).expect(400);
    expect(future.body.errors[0]).toEqual({ field: 'asOf', message: expect.stringMatching(/in the future/) });
    const beyond = await take({ name: 'beyond', position: 10_000 }).expect(400);
    expect(beyond.body.errors[0].field).toBe('position');
    await service.request().get('/api/v1/baselines/none').expect(404);
    await service.request().post('/api/v1/baselines/none/restore').send({}).expect(404);
  });

  it('a take cut short by the catalogue failing leaves no baseline, and taking it again works', async () => {
    const catalogue = new FlakyEventStore();
    service = await createTestService({ catalogue });
    await estate();
    // The header append fails once: the members are written, the baseline never becomes visible.
    Object.assign(catalogue, { stream: 'catalogue-baselines', failAfter: 0, failTimes: 1 });
    await take({ name: 'b1' }).expect(503);
    expect((await service.request().get('/api/v1/baselines').expect(200)).body.items).toEqual([]);
    await take({ name: 'b1' }).expect(201);
  });
});
