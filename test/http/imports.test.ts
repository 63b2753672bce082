import { FlakyEventStore } from '../support/flaky-event-store';
import { createTestService, type TestService } from '../support/test-service';

/** POST /imports (issue #14): NDJSON in, a result per line out; idempotent, resumable, never half-written. */
describe('imports', () => {
  let service: TestService;
  afterEach(() => service.stop());

  const send = (body: string, query = '') =>
    service
      .request()
      .post(`/api/v1/imports${query}`)
      .set('Content-Type', 'application/x-ndjson')
      .set('X-Change-Ref', 'MIG-1')
      .send(body);
  const ndjson = (text: string) =>
    text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const server = (id: string, extra: object = {}) => JSON.stringify({ id, type: 'server', name: id, ...extra });

  it('declares each line, reports each result in line order, and a re-sent file appends nothing', async () => {
    service = await createTestService();
    await service.request().put('/api/v1/cis/s9').send({ type: 'server', name: 's9' }).expect(201);
    await service
      .request()
      .put('/api/v1/types/licence')
      .send({ schema: { required: ['product'] } })
      .expect(201);
    const body = [
      server('s1'),
      server('s2', { attributes: { cpu: 4 } }),
      '{"id": "s3", "type": "server", oops',
      '',
      JSON.stringify({ id: 'l1', type: 'licence', name: 'no product' }),
      JSON.stringify({ id: 'bad id!', type: 'server', name: 'x', colour: 'red' }),
      server('s9', { attributes: { rack: 'r1' } }),
    ].join('\n');
    const res = await send(body).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const importId = res.headers['x-import-id'];
    const lines = ndjson(res.text);
    expect(lines.slice(0, -1).map((r) => [r['line'], r['id'] ?? null, r['outcome']])).toEqual([
      [1, 's1', 'created'],
      [2, 's2', 'created'],
      [3, null, 'invalid'],
      [5, 'l1', 'refused'],
      [6, null, 'invalid'],
      [7, 's9', 'changed'],
    ]);
    expect(lines[2]!['errors']).toEqual([{ field: '(line)', message: expect.stringMatching(/^is not JSON/) }]);
    expect((lines[4]!['errors'] as { field: string }[]).map((e) => e.field).sort()).toEqual(['colour', 'id']);
    expect(lines.at(-1)).toEqual({
      summary: {
        importId,
        lines: 7,
        resumedAfterLine: 0,
        counts: { created: 2, changed: 1, unchanged: 0, invalid: 2, refused: 1 },
        completed: true,
      },
    });
    const feed = await service.request().get('/api/v1/changes?changeRef=MIG-1').expect(200);
    expect(new Set(feed.body.items.map((i: { source: string }) => i.source))).toEqual(new Set(['import']));

    const head = await service.eventStore.headPosition();
    const again = ndjson((await send(body).expect(200)).text);
    expect((again.at(-1)!['summary'] as { counts: object }).counts).toEqual({
      created: 0,
      changed: 0,
      unchanged: 3,
      invalid: 2,
      refused: 1,
    });
    expect(await service.eventStore.headPosition()).toBe(head);
    const record = await service.request().get(`/api/v1/imports/${importId}`).expect(200);
    expect(record.body).toMatchObject({ importId, line: 7, completed: true });
    expect((await service.request().get('/api/v1/imports').expect(200)).body.items.length).toBe(2);
  });

  it('with onError=refuse, a malformed line refuses the whole body and nothing is written', async () => {
    service = await createTestService();
    const res = await send([server('a'), 'not json', server('b'), '{"id":"c"}'].join('\n'), '?onError=refuse').expect(
      422,
    );
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'line 2: (line)',
      'line 4: type',
      'line 4: name',
    ]);
    expect(res.body.detail).toMatch(/nothing was written/);
    expect(await service.eventStore.headPosition()).toBe(0);
    await send([server('a'), server('b')].join('\n'), '?onError=refuse').expect(200);
    expect(await service.eventStore.headPosition()).toBe(2);
  });

  it('says how far it got when the store fails, and resumes after that line with the same import id', async () => {
    const eventStore = new FlakyEventStore();
    service = await createTestService({ eventStore });
    const body = Array.from({ length: 300 }, (_, i) => server(`ci-${i}`)).join('\n');
    eventStore.failAfter = 150;
    const broken = ndjson((await send(body, '?importId=mig-42').expect(200)).text);
    const failure = broken.at(-1)!['error'] as { status: number; doneThroughLine: number; detail: string };
    expect(failure.status).toBe(503);
    expect(failure.detail).toMatch(/\?importId=mig-42 to resume after line/);
    const record = await service.request().get('/api/v1/imports/mig-42').expect(200);
    expect(record.body).toMatchObject({ completed: false, line: failure.doneThroughLine });
    eventStore.failAfter = undefined;
    const resumed = ndjson((await send(body, '?importId=mig-42').expect(200)).text);
    const summary = resumed.at(-1)!['summary'] as { resumedAfterLine: number; counts: { created: number } };
    expect(summary.resumedAfterLine).toBe(failure.doneThroughLine);
    expect(resumed[0]!['line']).toBe(failure.doneThroughLine + 1);
    expect(summary.counts.created).toBe(300); // the lines before, counted when they were done, and the rest now
    const list = await service.request().get('/api/v1/cis?limit=1000').expect(200);
    expect(list.body.items).toHaveLength(300);
    expect(await service.eventStore.headPosition()).toBe(300); // no CI written twice
  });

  it('takes NDJSON only, and no unknown options', async () => {
    service = await createTestService();
    await service.request().post('/api/v1/imports').send({ id: 'a' }).expect(415);
    const bad = await send(server('a'), '?onError=ignore&mode=x').expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['mode', 'onError']);
    await service.request().get('/api/v1/imports/nope').expect(404);
  });
});
