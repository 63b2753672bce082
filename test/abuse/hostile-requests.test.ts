import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type supertest from 'supertest';
import { createTestService, type TestService } from '../support/test-service';

/**
 * The abuse suite: malformed and hostile requests across every route, headers
 * and bodies. Each must get a 4xx as application/problem+json (never a 5xx)
 * and append nothing: the log head is the same after it as before.
 */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: { status?: number; errors?: unknown[] } & Record<string, unknown>;
}
type Call = (s: TestService) => supertest.Test | Promise<Answer>;

/** Over a real socket with fetch, for bodies superagent would alter (it re-encodes compressed buffers). */
const overSocket =
  (method: string, path: string, body: Buffer, headers: Record<string, string>): Call =>
  async (s) => {
    const server = createServer(s.app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, {
        method,
        headers,
        body,
      });
      return {
        status: res.status,
        headers: { 'content-type': res.headers.get('content-type') ?? undefined },
        body: (await res.json()) as Answer['body'],
      };
    } finally {
      server.closeAllConnections();
      server.close();
    }
  };

const CI = '/api/v1/cis/web-01';
const ok = { type: 'server', name: 'web-01' };
const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};
const nestedText = (depth: number) =>
  `{"type":"server","name":"x","attributes":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;

const put =
  (body: unknown, path = CI): Call =>
  (s) =>
    s
      .request()
      .put(path)
      .send(body as object);
const raw =
  (
    method: 'put' | 'post' | 'patch' | 'delete',
    path: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ): Call =>
  (s) => {
    const agent = s.request();
    return agent[method](path)
      .set({ 'Content-Type': 'application/json', ...headers })
      .send(body);
  };
const withHeaders =
  (
    headers: Record<string, string>,
    method: 'put' | 'patch' | 'delete' | 'post' = 'put',
    path = CI,
    body: object = ok,
  ): Call =>
  (s) => {
    const request = s.request()[method](path).set(headers);
    return method === 'delete' ? request : request.send(body);
  };
const get =
  (path: string, headers: Record<string, string> = {}): Call =>
  (s) =>
    s.request().get(path).set(headers);
const patch =
  (body: unknown, type = 'application/merge-patch+json'): Call =>
  (s) =>
    s.request().patch(CI).set('Content-Type', type).send(JSON.stringify(body));
const restore =
  (body: unknown, path = `${CI}/restore`): Call =>
  (s) =>
    s
      .request()
      .post(path)
      .send(body as object);

/** [what, the request, the status it must get] */
const cases: Array<[string, Call, number]> = [
  // Paths and ids
  ['an id with invalid percent-encoding (%FF)', put(ok, '/api/v1/cis/%FF'), 400],
  ['an id with a truncated percent-escape (%E2%82)', put(ok, '/api/v1/cis/%E2%82'), 400],
  ['a read of an id with invalid percent-encoding', get('/api/v1/cis/%C0'), 400],
  ['an id starting with a dot', put(ok, '/api/v1/cis/.hidden'), 400],
  ['an id of 129 characters', put(ok, `/api/v1/cis/${'a'.repeat(129)}`), 400],
  ['an id with a space', put(ok, '/api/v1/cis/web%2001'), 400],
  ['an id with a slash encoded', put(ok, '/api/v1/cis/a%2Fb'), 400],
  ['an id with a NUL byte', put(ok, '/api/v1/cis/a%00b'), 400],
  ['an unknown route', get('/api/v1/nothing-here'), 404],
  ['a route outside the API', get('/admin'), 404],
  // Methods
  ['POST on a CI path', raw('post', CI, JSON.stringify(ok)), 405],
  ['PUT on the collection', put(ok, '/api/v1/cis'), 405],
  ['DELETE on the change feed', (s) => s.request().delete('/api/v1/changes'), 405],
  ['PATCH on the history', (s) => s.request().patch(`${CI}/history`).send({}), 405],
  ['POST on /livez', (s) => s.request().post('/livez'), 405],
  // Bodies
  ['invalid JSON', raw('put', CI, '{"type": "server",'), 400],
  ['JSON with a trailing comma', raw('put', CI, '{"type":"server","name":"x",}'), 400],
  ['an empty JSON body', raw('put', CI, ''), 400],
  ['a JSON array body', raw('put', CI, '[1,2]'), 400],
  ['a JSON null body', raw('put', CI, 'null'), 400],
  ['a text/plain body', raw('put', CI, 'type=server', { 'Content-Type': 'text/plain' }), 415],
  [
    'a form-encoded body',
    raw('put', CI, 'type=server&name=x', { 'Content-Type': 'application/x-www-form-urlencoded' }),
    415,
  ],
  ['a body over 1 MiB', put({ ...ok, attributes: { blob: 'x'.repeat(1024 * 1024) } }), 413],
  ['a body nested 3,000 levels deep (raw text)', raw('put', CI, nestedText(3000)), 400],
  ['a body nested 100,000 levels deep of arrays', raw('put', CI, `${'['.repeat(100_000)}${']'.repeat(100_000)}`), 400],
  ['attributes nested 33 levels', put({ ...ok, attributes: nested(33) }), 400],
  ['a merge patch nested 3,000 levels', patch({ attributes: nested(3000) }), 400],
  [
    'a __proto__ attribute key',
    raw('put', CI, '{"type":"server","name":"x","attributes":{"__proto__":{"admin":true}}}'),
    400,
  ],
  ['a nested __proto__ key', raw('put', CI, '{"type":"server","name":"x","attributes":{"a":[{"__proto__":1}]}}'), 400],
  [
    'a body in a charset other than UTF-8',
    raw('put', CI, JSON.stringify(ok), { 'Content-Type': 'application/json; charset=latin1' }),
    415,
  ],
  [
    'Content-Encoding gzip with a body that is not gzip',
    raw('put', CI, JSON.stringify(ok), { 'Content-Encoding': 'gzip' }),
    400,
  ],
  [
    'Content-Encoding br with a body that is not brotli',
    raw('put', CI, JSON.stringify(ok), { 'Content-Encoding': 'br' }),
    400,
  ],
  [
    'Content-Encoding deflate with a body that is not deflate',
    raw('put', CI, JSON.stringify(ok), { 'Content-Encoding': 'deflate' }),
    400,
  ],
  ['an unsupported Content-Encoding', raw('put', CI, JSON.stringify(ok), { 'Content-Encoding': 'compress' }), 415],
  [
    'a gzip bomb: 4 KiB that inflate past the size limit',
    overSocket('PUT', CI, gzipSync(Buffer.from(`{"type":"server","name":"${'x'.repeat(4 * 1024 * 1024)}"}`)), {
      'Content-Type': 'application/json',
      'Content-Encoding': 'gzip',
    }),
    413,
  ],
  ['an unknown field', put({ ...ok, colour: 'red' }), 400],
  ['attributes that are an array', put({ ...ok, attributes: [1] }), 400],
  ['an unknown status', put({ ...ok, status: 'gone' }), 400],
  ['a name of 300 characters', put({ ...ok, name: 'n'.repeat(300) }), 400],
  ['a type with spaces', put({ ...ok, type: 'a server' }), 400],
  ['a relationship target that is not an id', put({ ...ok, relationships: [{ type: 'runs_on', target: ' x' }] }), 400],
  ['an id in the body that differs from the URL', put({ ...ok, id: 'other' }), 400],
  ['POST without an id', raw('post', '/api/v1/cis', JSON.stringify(ok)), 400],
  ['a merge patch that changes the type', patch({ type: 'router' }), 400],
  ['a merge patch that is an array', patch([]), 400],
  ['a merge patch with the wrong media type', patch({ name: 'x' }, 'text/plain'), 415],
  // Query strings on writes
  ['restore with ?dryRun=true in the query', restore({ revision: 1 }, `${CI}/restore?dryRun=true`), 400],
  ['DELETE with ?dryRun=true', (s) => s.request().delete(`${CI}?dryRun=true`), 400],
  ['PUT with an unknown query parameter', put(ok, `${CI}?foo=bar`), 400],
  [
    'PATCH with a query parameter',
    (s) => s.request().patch(`${CI}?force=1`).set('Content-Type', 'application/merge-patch+json').send('{"name":"x"}'),
    400,
  ],
  [
    'POST with a query parameter',
    (s) =>
      s
        .request()
        .post('/api/v1/cis?upsert=true')
        .send({ id: 'x', ...ok }),
    400,
  ],
  // Restore bodies
  ['restore with both asOf and revision', restore({ asOf: '2026-01-01T00:00:00Z', revision: 1 }), 400],
  ['restore with neither asOf nor revision', restore({ reason: 'x' }), 400],
  ['restore with a revision of 0', restore({ revision: 0 }), 400],
  ['restore with dryRun as a string', restore({ revision: 1, dryRun: 'true' }), 400],
  ['restore to a revision the CI never had', restore({ revision: 99 }), 422],
  ['restore of an unknown CI', restore({ revision: 1 }, '/api/v1/cis/nobody/restore'), 404],
  // Headers
  ['a malformed If-Match', withHeaders({ 'If-Match': '1' }), 400],
  ['a weak If-Match', withHeaders({ 'If-Match': 'W/"1"' }), 412],
  ['a stale If-Match', withHeaders({ 'If-Match': '"9"' }), 412],
  ['If-Match naming no revision', withHeaders({ 'If-Match': '"abc"' }), 412],
  ['If-None-Match other than *', withHeaders({ 'If-None-Match': '"1"' }), 400],
  ['If-None-Match: * on an existing CI', withHeaders({ 'If-None-Match': '*' }), 412],
  ['an X-Actor of 300 characters', withHeaders({ 'X-Actor': 'a'.repeat(300) }), 400],
  ['an empty X-Actor', withHeaders({ 'X-Actor': '' }), 400],
  ['an X-Change-Reason over 4096 characters', withHeaders({ 'X-Change-Reason': 'r'.repeat(5000) }), 400],
  ['an X-Change-Source that is not a token', withHeaders({ 'X-Change-Source': 'Not A Token' }), 400],
  [
    'an X-Actor that is not UTF-8 (a lone Latin-1 byte)',
    overSocket('PUT', CI, Buffer.from(JSON.stringify(ok)), {
      'Content-Type': 'application/json',
      'X-Actor': Buffer.from([0x4a, 0xe9]).toString('latin1'),
    }),
    400,
  ],
  ['an RFC 8187 X-Actor with a broken escape', withHeaders({ 'X-Actor': "UTF-8''Jos%C3" }), 400],
  ['a DELETE body with an unknown field', (s) => s.request().delete(CI).send({ reason: 'x', force: true }), 400],
  ['a DELETE body that is not JSON', (s) => s.request().delete(CI).set('Content-Type', 'text/plain').send('bye'), 415],
  // Reads and their parameters
  ['asOf with an unencoded + offset', get(`${CI}?asOf=2026-11-22T00:43:00+01:00`), 400],
  ['asOf that is not a date', get(`${CI}?asOf=yesterday`), 400],
  ['asOf on the 31st of February', get(`${CI}?asOf=2026-02-31T00:00:00Z`), 400],
  ['asOf at hour 24', get(`${CI}?asOf=2026-01-01T24:00:00Z`), 400],
  ['asOf and revision together', get(`${CI}?asOf=2026-01-01T00:00:00Z&revision=1`), 400],
  ['a revision of 0', get(`${CI}?revision=0`), 400],
  ['a revision that is not a number', get(`${CI}?revision=one`), 400],
  ['an unknown query parameter on a read', get(`${CI}?expand=all`), 400],
  ['a list limit of 0', get('/api/v1/cis?limit=0'), 400],
  ['a list limit of 1001', get('/api/v1/cis?limit=1001'), 400],
  ['a list cursor that is not ours', get('/api/v1/cis?cursor=bm9wZQ'), 400],
  ['includeRetired that is not a boolean', get('/api/v1/cis?includeRetired=yes'), 400],
  ['a list filter on an unknown status', get('/api/v1/cis?status=gone'), 400],
  ['minPosition beyond the log head', get('/api/v1/cis?minPosition=999999'), 400],
  ['minPosition that is negative', get('/api/v1/changes?minPosition=-1'), 400],
  ['a history cursor that is not ours', get(`${CI}/history?cursor=%%%`), 400],
  ['a history limit of 5000', get(`${CI}/history?limit=5000`), 400],
  ['a diff without from', get(`${CI}/diff`), 400],
  ['a diff from a revision the CI never had', get(`${CI}/diff?from=50`), 422],
  ['a feed since after until', get('/api/v1/changes?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z'), 400],
  ['a feed since that is neither a time nor a duration', get('/api/v1/changes?since=soon'), 400],
  ['a feed filter on an unknown event type', get('/api/v1/changes?eventType=CiExploded'), 400],
  [
    'a feed cursor with a negative position',
    get(`/api/v1/changes?cursor=${Buffer.from('{"before":-1}').toString('base64url')}`),
    400,
  ],
  ['a stream from that is neither position nor time', get('/api/v1/changes/stream?from=start'), 400],
  ['a stream Last-Event-ID that is not a position', get('/api/v1/changes/stream', { 'Last-Event-ID': 'abc' }), 400],
  ['a query parameter on /readyz', get('/readyz?verbose=1'), 400],
];

describe('the abuse suite: hostile and malformed requests', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await createTestService();
    await service.request().put(CI).send(ok).expect(201);
  });
  afterAll(() => service.stop());

  it(`covers at least 60 distinct requests (${cases.length})`, () => {
    expect(new Set(cases.map(([what]) => what)).size).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases)('%s → %i, problem+json, nothing appended', async (_what, call, status) => {
    const headBefore = await service.eventStore.headPosition();
    const res = await call(service);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
    if (status === 400 && Array.isArray(res.body.errors)) {
      for (const issue of res.body.errors)
        expect(issue).toEqual({ field: expect.any(String), message: expect.any(String) });
    }
    expect(await service.eventStore.headPosition()).toBe(headBefore);
  });
});
