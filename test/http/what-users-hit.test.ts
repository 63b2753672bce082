import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import request from 'supertest';
import { buildApp } from '../../src/http/app';
import { createTestService, type TestService } from '../support/test-service';

/** What a new user hit following the README (issue #10), as tests that fail if it comes back. */
describe('what a new user hit', () => {
  let service: TestService;
  let server: Server;
  let base: string;
  beforeEach(async () => {
    service = await createTestService();
    server = createServer(service.app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    server.close();
    await service.stop();
  });

  /** A header value as the raw UTF-8 bytes curl sends (fetch takes it as a byte string). */
  const utf8Bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

  it('keeps non-ASCII change metadata exactly: raw UTF-8 headers, RFC 8187 headers and DELETE bodies', async () => {
    const put = await fetch(`${base}/cis/web-01`, {
      method: 'PUT',
      headers: {
        'Content-Type': 'application/json',
        'X-Actor': utf8Bytes('José'),
        'X-Change-Reason': utf8Bytes('mise à jour du noyau — 内核升级'),
        'X-Change-Ref': "UTF-8''%D0%98%D0%97%D0%9C-42",
      },
      body: JSON.stringify({ type: 'server', name: 'web-01' }),
    });
    expect(put.status).toBe(201);
    const retire = await fetch(`${base}/cis/web-01`, {
      method: 'DELETE',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'списан 🗑️', changeRef: 'ΑΛΛΑΓΗ-7' }),
    });
    expect(retire.status).toBe(200);
    const history = (await (await fetch(`${base}/cis/web-01/history`)).json()) as {
      items: Array<{ actor: string; reason: string; changeRef: string }>;
    };
    expect(history.items.map(({ actor, reason, changeRef }) => ({ actor, reason, changeRef }))).toEqual([
      { actor: 'José', reason: 'mise à jour du noyau — 内核升级', changeRef: 'ИЗМ-42' },
      { actor: 'anonymous', reason: 'списан 🗑️', changeRef: 'ΑΛΛΑΓΗ-7' },
    ]);
  });

  it('accepts every RFC 3339 form, and says to encode + as %2B when it arrived as a space', async () => {
    await service.request().put('/api/v1/cis/web-01').send({ type: 'server', name: 'web-01' }).expect(201);
    const at = service.clock.now().getTime() + 500; // 2026-01-01T00:00:00.500Z
    const forms = [
      '2026-01-01T00:00:00.500Z',
      '2026-01-01t00:00:00.500z',
      '2026-01-01 00:00:00.500Z',
      '2026-01-01T01:00:00.500%2B01:00',
      '2025-12-31T23:30:00.500123-00:30',
    ];
    for (const form of forms) {
      const res = await service.request().get(`/api/v1/cis/web-01?asOf=${form}`).expect(200);
      expect(res.body.revision).toBe(1);
      expect(Date.parse(res.body.recordedAt)).toBeLessThanOrEqual(at);
    }
    const unencoded = await service.request().get('/api/v1/cis/web-01?asOf=2026-01-01T01:00:00+01:00').expect(400);
    expect(unencoded.body.errors[0]).toMatchObject({ field: 'asOf', message: expect.stringMatching(/%2B/) });
  });

  it('answers OPTIONS with every method of the path, and a wrong method with 405 and Allow', async () => {
    const options = await service.request().options('/api/v1/cis/web-01').expect(204);
    expect(options.headers['allow']).toBe('DELETE, GET, HEAD, OPTIONS, PATCH, PUT');
    const wrong = await service.request().post('/api/v1/cis/web-01/history').expect(405);
    expect(wrong.headers['allow']).toBe('GET, HEAD, OPTIONS');
    expect(wrong.body.detail).toMatch(/POST is not allowed/);
  });

  it('gives no nextCursor on a last page that is exactly full, and pages history', async () => {
    for (const id of ['a', 'b']) await service.request().put(`/api/v1/cis/${id}`).send({ type: 'server', name: id });
    for (let i = 0; i < 4; i++) {
      await service
        .request()
        .patch('/api/v1/cis/a')
        .set('Content-Type', 'application/merge-patch+json')
        .send({ name: `a${i}` })
        .expect(200);
    }
    const list = await service.request().get('/api/v1/cis?limit=2').expect(200);
    expect(list.body.items).toHaveLength(2);
    expect(list.body.nextCursor).toBeNull();
    const feed = await service.request().get('/api/v1/changes?limit=6').expect(200);
    expect(feed.body.items).toHaveLength(6);
    expect(feed.body.nextCursor).toBeNull();

    const first = await service.request().get('/api/v1/cis/a/history?limit=2').expect(200);
    expect(first.body.items.map((item: { revision: number }) => item.revision)).toEqual([1, 2]);
    expect(first.headers['etag']).toBe('"5"'); // the CI's revision, whichever page
    const second = await service.request().get(`/api/v1/cis/a/history?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((item: { revision: number }) => item.revision)).toEqual([3, 4]);
    const last = await service.request().get(`/api/v1/cis/a/history?limit=2&cursor=${second.body.nextCursor}`);
    expect(last.body.items.map((item: { revision: number }) => item.revision)).toEqual([5]);
    expect(last.body.nextCursor).toBeNull();
    await service.request().get('/api/v1/cis/nobody/history').expect(404);
  });

  /** The app on a logger of its own, writing to `lines`. */
  const loggedApp = (lines: string[], level = 'info') =>
    buildApp({
      commands: service.commands,
      queries: service.queries,
      graph: service.graph,
      types: service.types,
      changeSets: service.changeSets,
      baselines: service.baselines,
      reports: service.reports,
      imports: service.imports,
      reconciliations: service.reconciliations,
      readiness: { check: async () => ({ ready: true, checks: {} }) },
      clock: service.clock,
      logger: pino({ level }, { write: (line: string) => lines.push(line) }),
      changeStream: { maxStreams: 1, maxReplays: 1, heartbeatMs: 1000 },
      audit: { verify: () => Promise.reject(new Error('not used here')) },
    });

  it('logs each request with its request id, and keeps the id when the log is silenced', async () => {
    const lines: string[] = [];
    const res = await request(loggedApp(lines)).get('/api/v1/cis/nobody').set('X-Request-Id', 'req-7').expect(404);
    expect(res.headers['x-request-id']).toBe('req-7');
    const entry = JSON.parse(lines.at(-1)!) as { req: { id: string; url: string }; res: { statusCode: number } };
    expect(entry.req).toMatchObject({ id: 'req-7', url: '/api/v1/cis/nobody' });
    expect(entry.res.statusCode).toBe(404);

    // LOG_LEVEL=silent: nothing is written, and the id is still answered (and generated when not given).
    const quiet: string[] = [];
    const silent = loggedApp(quiet, 'silent');
    expect((await request(silent).get('/api/v1/cis/nobody').set('X-Request-Id', 'req-8')).headers['x-request-id']).toBe(
      'req-8',
    );
    expect((await request(silent).get('/api/v1/cis/nobody')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(quiet).toEqual([]);
  });

  it('never writes credentials into the request log', async () => {
    const lines: string[] = [];
    const app = loggedApp(lines);
    const logged = createServer(app).listen(0, '127.0.0.1');
    await once(logged, 'listening');
    try {
      await fetch(`http://127.0.0.1:${(logged.address() as AddressInfo).port}/api/v1/cis`, {
        headers: {
          Authorization: 'Bearer s3cr3t-token-value',
          Cookie: 'session=c00kie-value',
          'X-Api-Key': 'k3y-value',
        },
      });
      await fetch(`http://127.0.0.1:${(logged.address() as AddressInfo).port}/api/v1/cis?ticket=t1ck3t-value`);
    } finally {
      logged.closeAllConnections();
      logged.close();
    }
    const log = lines.join('\n');
    expect(log).toMatch(/"authorization":"\[redacted\]"/);
    expect(log).toContain('ticket=[redacted]');
    for (const secret of ['s3cr3t-token-value', 'c00kie-value', 'k3y-value', 't1ck3t-value'])
      expect(log).not.toContain(secret);
  });
});
