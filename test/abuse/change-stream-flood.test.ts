import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createTestService, type TestService } from '../support/test-service';

/**
 * 300 clients replay the change feed from the start of a 5,000-event log at
 * once. The service must keep answering everyone else while it serves them:
 * asserted on counts and order (never on timings), as issue #10 asked.
 */
describe('a flood of replaying change streams', () => {
  const EVENTS = 5000;
  const CLIENTS = 300;
  const MAX_STREAMS = 100;
  const MAX_REPLAYS = 2;
  let service: TestService;
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    service = await createTestService({
      changeStream: { maxStreams: MAX_STREAMS, maxReplays: MAX_REPLAYS, heartbeatMs: 60_000 },
    });
    const metadata = { actor: 'seed', reason: null, changeRef: null, source: 'api', correlationId: null };
    for (let start = 0; start < EVENTS; start += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          service.commands.execute(
            {
              type: 'DeclareCi',
              ciId: `ci-${start + i}`,
              desired: { type: 'server', name: `n${start + i}`, attributes: {}, relationships: [] },
            },
            { metadata },
          ),
        ),
      );
    }
    expect(await service.queries.waitForViews(EVENTS, 20_000)).toBe(true);
    server = createServer(service.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    port = (server.address() as AddressInfo).port;
  }, 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
    await service?.stop();
  });

  it('answers /livez and a single-CI read while replays are in flight, refuses the excess at once, and bounds concurrent replays', async () => {
    let replaysFinished = 0;
    const responses: IncomingMessage[] = [];
    const rejections: Array<{ status: number; type: string; retryAfter: string | undefined; body: string }> = [];
    const headersIn = Array.from(
      { length: CLIENTS },
      () =>
        new Promise<void>((resolve, reject) => {
          const request = get({ port, host: '127.0.0.1', path: '/api/v1/changes/stream?from=0', agent: false });
          request.on('error', () => undefined); // sockets are destroyed at the end
          request.on('response', (res) => {
            responses.push(res);
            if (res.statusCode !== 200) {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (body += chunk));
              res.on('end', () => {
                rejections.push({
                  status: res.statusCode!,
                  type: String(res.headers['content-type']),
                  retryAfter: res.headers['retry-after'],
                  body,
                });
                resolve();
              });
              return;
            }
            let tail = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              tail = (tail + chunk).slice(-200);
              if (tail.includes(`id: ${EVENTS}\n`)) {
                replaysFinished += 1;
                res.destroy();
              }
            });
            resolve();
          });
          setTimeout(() => reject(new Error('no response headers')), 30_000).unref();
        }),
    );
    await Promise.all(headersIn);

    // Everyone else is still served while the replays run.
    const livez = await fetch(`http://127.0.0.1:${port}/livez`);
    const finishedAtLivez = replaysFinished;
    const read = await fetch(`http://127.0.0.1:${port}/api/v1/cis/ci-42`);
    const finishedAtRead = replaysFinished;

    expect(livez.status).toBe(200);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { name: string }).name).toBe('n42');
    expect(finishedAtLivez).toBeLessThan(MAX_STREAMS);
    expect(finishedAtRead).toBeLessThan(MAX_STREAMS);

    // The streams over the limit heard so at once, as problem+json with Retry-After.
    expect(responses.filter((res) => res.statusCode === 200)).toHaveLength(MAX_STREAMS);
    expect(rejections).toHaveLength(CLIENTS - MAX_STREAMS);
    for (const rejection of rejections) {
      expect(rejection).toMatchObject({ status: 503, retryAfter: '5' });
      expect(rejection.type).toMatch(/application\/problem\+json/);
      expect(JSON.parse(rejection.body)).toMatchObject({ status: 503, title: 'Too many change streams' });
    }
    // Never more replays at once than the slots allow; the others wait their turn.
    expect(service.replaySlots.peak).toBeLessThanOrEqual(MAX_REPLAYS);
    expect(service.replaySlots.peak).toBeGreaterThan(0);
  }, 60_000);
});
