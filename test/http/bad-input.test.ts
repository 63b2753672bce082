import type supertest from 'supertest';
import { createTestService, type TestService } from '../support/test-service';

type Call = (s: TestService) => supertest.Test;

const put =
  (body: unknown, id = 'web-01'): Call =>
  (s) =>
    s
      .request()
      .put(`/api/v1/cis/${id}`)
      .send(body as object);
const raw =
  (method: 'put' | 'patch' | 'post', path: string, body: string, type = 'application/json'): Call =>
  (s) =>
    s.request()[method](path).set('Content-Type', type).send(body);
const get =
  (path: string): Call =>
  (s) =>
    s.request().get(path);
const ok = { type: 'server', name: 'web-01' };

/** [label, request, status, the field the problem must name] */
const cases: Array<[string, Call, number, string | null]> = [
  ['an id with a bad first character', put(ok, '-web'), 400, 'id'],
  ['an id of 129 characters', put(ok, 'a'.repeat(129)), 400, 'id'],
  ['attributes that are an array', put({ ...ok, attributes: [1] }), 400, 'attributes'],
  ['attributes that are a string', put({ ...ok, attributes: 'x' }), 400, 'attributes'],
  ['attributes that are null', put({ ...ok, attributes: null }), 400, 'attributes'],
  ['an unknown status', put({ ...ok, status: 'gone' }), 400, 'status'],
  ['a missing type', put({ name: 'x' }), 400, 'type'],
  ['a missing name', put({ type: 'server' }), 400, 'name'],
  ['an empty name', put({ ...ok, name: '' }), 400, 'name'],
  ['relationships that are not an array', put({ ...ok, relationships: {} }), 400, 'relationships'],
  [
    'a relationship with a bad target',
    put({ ...ok, relationships: [{ type: 'runs_on', target: ' x' }] }),
    400,
    'relationships[0].target',
  ],
  [
    'a duplicate relationship',
    put({
      ...ok,
      relationships: [
        { type: 'runs_on', target: 'a' },
        { type: 'runs_on', target: 'a' },
      ],
    }),
    400,
    'relationships[1]',
  ],
  ['an unknown field', put({ ...ok, colour: 'red' }), 400, 'colour'],
  ['invalid JSON', raw('put', '/api/v1/cis/web-01', '{"type": "server",'), 400, '(body)'],
  ['a JSON array body', raw('put', '/api/v1/cis/web-01', '[1,2]'), 400, '(body)'],
  ['a JSON string body', raw('put', '/api/v1/cis/web-01', '"server"'), 400, '(body)'],
  ['no body', (s) => s.request().put('/api/v1/cis/web-01'), 400, '(body)'],
  ['a text/plain body', raw('put', '/api/v1/cis/web-01', 'type=server', 'text/plain'), 415, null],
  ['a body over 1 MiB', put({ ...ok, attributes: { blob: 'x'.repeat(1024 * 1024) } }), 413, null],
  ['a POST without id', (s) => s.request().post('/api/v1/cis').send(ok), 400, 'id'],
  [
    'a bad X-Change-Source',
    (s) => s.request().put('/api/v1/cis/web-01').set('X-Change-Source', 'Not A Token').send(ok),
    400,
    'X-Change-Source',
  ],
  [
    'an X-Actor of 300 characters',
    (s) => s.request().put('/api/v1/cis/web-01').set('X-Actor', 'a'.repeat(300)).send(ok),
    400,
    'X-Actor',
  ],
  [
    'a merge patch that is an array',
    raw('patch', '/api/v1/cis/existing', '[]', 'application/merge-patch+json'),
    400,
    '(body)',
  ],
  [
    'a merge patch that is a number',
    raw('patch', '/api/v1/cis/existing', '42', 'application/merge-patch+json'),
    400,
    '(body)',
  ],
  [
    'a merge patch changing type',
    raw('patch', '/api/v1/cis/existing', '{"type":"vm"}', 'application/merge-patch+json'),
    400,
    'type',
  ],
  [
    'a merge patch with invalid JSON',
    raw('patch', '/api/v1/cis/existing', '{', 'application/merge-patch+json'),
    400,
    '(body)',
  ],
  [
    'a merge patch with a bad status',
    raw('patch', '/api/v1/cis/existing', '{"status":1}', 'application/merge-patch+json'),
    400,
    'status',
  ],
  [
    'a restore with a string revision',
    (s) => s.request().post('/api/v1/cis/existing/restore').send({ revision: '1' }),
    400,
    'revision',
  ],
  [
    'a restore with a non-boolean dryRun',
    (s) => s.request().post('/api/v1/cis/existing/restore').send({ revision: 1, dryRun: 'yes' }),
    400,
    'dryRun',
  ],
  ['an unparseable asOf', get('/api/v1/cis/existing?asOf=yesterday'), 400, 'asOf'],
  ['a date-only asOf', get('/api/v1/cis/existing?asOf=2026-01-01'), 400, 'asOf'],
  ['revision 0', get('/api/v1/cis/existing?revision=0'), 400, 'revision'],
  ['a non-numeric revision', get('/api/v1/cis/existing?revision=two'), 400, 'revision'],
  ['both asOf and revision', get('/api/v1/cis/existing?revision=1&asOf=2026-01-01T00:00:00Z'), 400, 'revision'],
  ['a list limit of 0', get('/api/v1/cis?limit=0'), 400, 'limit'],
  ['a list limit over 1000', get('/api/v1/cis?limit=1001'), 400, 'limit'],
  ['a garbage cursor', get('/api/v1/cis?cursor=not-a-cursor'), 400, 'cursor'],
  ['an unknown status filter', get('/api/v1/cis?status=gone'), 400, 'status'],
  ['a non-boolean includeRetired', get('/api/v1/cis?includeRetired=yes'), 400, 'includeRetired'],
  ['an unknown query parameter', get('/api/v1/cis?stauts=live'), 400, 'stauts'],
  ['an unparseable since', get('/api/v1/changes?since=lately'), 400, 'since'],
  ['a negative duration', get('/api/v1/changes?since=-2h'), 400, 'since'],
  ['since after until', get('/api/v1/changes?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z'), 400, 'since'],
  ['an unknown event type', get('/api/v1/changes?eventType=CiExploded'), 400, 'eventType'],
  ['a garbage feed cursor', get('/api/v1/changes?cursor=e30'), 400, 'cursor'],
  ['a diff without from', get('/api/v1/cis/existing/diff'), 400, 'from'],
  ['a diff with an unparseable to', get('/api/v1/cis/existing/diff?from=1&to=later'), 400, 'to'],
];

describe('bad input: a 4xx problem naming the field, and nothing appended', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await createTestService();
    await service.request().put('/api/v1/cis/existing').send(ok).expect(201);
  });
  afterAll(async () => {
    await service.stop();
  });

  it.each(cases)('%s', async (_label, call, status, field) => {
    const before = await service.eventStore.headPosition();
    const res = await call(service).expect(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
    if (field !== null) {
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(res.body.detail).toContain(field);
    }
    expect(await service.eventStore.headPosition()).toBe(before);
  });

  it('answers an unknown route with a 404 problem', async () => {
    const res = await service.request().get('/api/v2/cis').expect(404);
    expect(res.body.detail).toMatch(/\/api\/v1/);
  });
});

describe('internal errors', () => {
  it('answer 500 without leaking internals', async () => {
    const service = await createTestService();
    try {
      await service.request().put('/api/v1/cis/web-01').send(ok).expect(201);
      const failure = async () => {
        throw new Error('SQLITE_CORRUPT: secret table layout');
      };
      // A CI is read as JSON texts (findJson), its history point for a diff as a document (find).
      service.viewStore.find = failure;
      service.viewStore.findJson = failure;
      for (const url of ['/api/v1/cis/web-01', '/api/v1/cis/web-01/diff?from=1']) {
        const res = await service.request().get(url).expect(500);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(JSON.stringify(res.body)).not.toMatch(/SQLITE|secret/);
      }
    } finally {
      await service.stop();
    }
  });
});

describe('the __proto__ key', () => {
  it('is refused at any depth of attributes, naming its path', async () => {
    const service = await createTestService();
    try {
      const res = await service
        .request()
        .put('/api/v1/cis/web-01')
        .set('Content-Type', 'application/json')
        .send('{"type":"server","name":"x","attributes":{"a":[{"__proto__":{"polluted":true}}]}}')
        .expect(400);
      expect(res.body.errors[0].field).toBe('attributes.a[0].__proto__');
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(await service.eventStore.headPosition()).toBe(0);
    } finally {
      await service.stop();
    }
  });
});
