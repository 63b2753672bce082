import type { AddressInfo, Socket } from 'node:net';
import type { Server } from 'node:http';
import { EventSource } from 'eventsource';
import { createTestService, type TestService } from '../support/test-service';

interface Received {
  id: string;
  data: { position: number; ciId: string; revision: number; eventType: string };
}

describe('GET /changes/stream (Server-Sent Events)', () => {
  let service: TestService;
  let server: Server;
  let base: string;
  const sockets = new Set<Socket>();
  const sources: EventSource[] = [];

  beforeEach(async () => {
    service = await createTestService({ changeStream: { maxStreams: 2, heartbeatMs: 200 } });
    server = service.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterEach(async () => {
    for (const source of sources.splice(0)) source.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    await service.stop();
  });

  const put = (id: string, name: string, type = 'server') =>
    service
      .request()
      .put(`/api/v1/cis/${id}`)
      .send({ type, name })
      .expect((res) => expect(res.status).toBeLessThan(300));

  function open(query = '') {
    const received: Received[] = [];
    const source = new EventSource(`${base}/changes/stream${query}`);
    sources.push(source);
    source.onmessage = (message) => received.push({ id: message.lastEventId, data: JSON.parse(message.data) });
    const opened = new Promise<void>((resolve, reject) => {
      source.onopen = () => resolve();
      source.onerror = (error) => (source.readyState === EventSource.CLOSED ? reject(error) : undefined);
    });
    return { source, received, opened };
  }

  async function until(condition: () => boolean, what: string) {
    for (let i = 0; i < 300; i++) {
      if (condition()) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('streams new changes live, each with id = its log position', async () => {
    await put('old', 'before the stream');
    const stream = open();
    await stream.opened;
    await put('a', 'one');
    await put('a', 'two');
    await until(() => stream.received.length === 2, 'two live events');
    expect(stream.received.map((r) => [r.id, r.data.ciId, r.data.revision])).toEqual([
      ['2', 'a', 1],
      ['3', 'a', 2],
    ]);
  });

  it('resumes exactly after the last event received when the connection drops (Last-Event-ID)', async () => {
    const stream = open('?from=0');
    await stream.opened;
    await put('a', '1');
    await put('b', '1');
    await until(() => stream.received.length === 2, 'the first events');
    for (const socket of sockets) socket.destroy(); // the network drops
    await put('a', '2');
    await put('c', '1');
    await until(() => stream.received.length === 4, 'events written during the outage');
    expect(stream.received.map((r) => Number(r.id))).toEqual([1, 2, 3, 4]);
  });

  it('replays from a position (exclusive) or from a time, with filters', async () => {
    service.clock.set('2026-06-01T00:00:00.000Z');
    await put('a', '1');
    service.clock.set('2026-06-02T00:00:00.000Z');
    await put('b', '1', 'vm');
    await put('a', '2');
    const fromPosition = open('?from=1');
    await until(() => fromPosition.received.length === 2, 'replay from position 1');
    expect(fromPosition.received.map((r) => r.id)).toEqual(['2', '3']);
    const fromTime = open('?from=2026-06-01T12:00:00Z&type=server');
    await until(() => fromTime.received.length === 1, 'replay from a time, servers only');
    expect(fromTime.received[0]!.data).toMatchObject({ ciId: 'a', revision: 2 });
  });

  it('refuses a stream past the limit with 503 and Retry-After', async () => {
    await open().opened;
    await open().opened;
    const res = await fetch(`${base}/changes/stream`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/2 change streams/);
  });

  it('sends heartbeats while nothing changes, and refuses a bad Last-Event-ID', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/changes/stream`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(': heartbeat')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const bad = await fetch(`${base}/changes/stream`, { headers: { 'Last-Event-ID': 'abc' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('Last-Event-ID');
  });

  it('stops waiting for the views when the client goes, not a heartbeat later', async () => {
    // A heartbeat far longer than the test: a wait left running would hold its timer that long.
    const quiet = await createTestService({ changeStream: { maxStreams: 2, heartbeatMs: 600_000 } });
    const quietServer = quiet.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => quietServer.once('listening', resolve));
    const waits: { signal: AbortSignal | undefined; outcome: Promise<boolean> }[] = [];
    const waitForViews = quiet.queries.waitForViews.bind(quiet.queries);
    jest.spyOn(quiet.queries, 'waitForViews').mockImplementation((position, timeoutMs, signal) => {
      const outcome = waitForViews(position, timeoutMs, signal);
      waits.push({ signal, outcome });
      return outcome;
    });
    try {
      const controller = new AbortController();
      const { port } = quietServer.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/changes/stream`, { signal: controller.signal });
      expect(res.status).toBe(200);
      await until(() => waits.length > 0, 'the stream to wait for the views');
      controller.abort();
      const [wait] = waits;
      await until(() => wait!.signal?.aborted === true, 'the wait to be told the client left');
      await expect(wait!.outcome).resolves.toBe(false);
    } finally {
      await new Promise((resolve) => quietServer.close(resolve));
      await quiet.stop();
    }
  });
});
