import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { SqliteEventStore } from '../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../src/adapters/view-store/sqlite-view-store';
import { startService } from '../../src/service';
import { InMemoryPublisher } from '../support/in-memory-publisher';
import { TestClock } from '../support/test-clock';
import { testSecrets } from '../support/test-service';
import { allProjections } from '../../projections';

/**
 * Secrets sent as attributes appear nowhere: not in any file under the data
 * directory (WAL included), any response, the history, the feed, the stream,
 * the Kafka messages, nor the log (issue #11).
 */
describe('secret attributes', () => {
  const CLEAR = [
    'Hunter2-CLEAR-1',
    'pw-CLEAR-2',
    'AK-CLEAR-3',
    'New-CLEAR-4',
    'tok-CLEAR-5',
    'community-CLEAR-6', // secret because its CI type marks it x-secret, not by its key
    'BAD CLEAR 7', // refused by the type's schema: not even the refusal may echo it
  ];
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cl-secrets-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('are fingerprinted before any event is built, and the clear value is found nowhere', async () => {
    const logLines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => logLines.push(line) });
    const eventStore = new SqliteEventStore({ filename: path.join(dataDir, 'events.db') });
    const viewStore = new SqliteViewStore({ filename: path.join(dataDir, 'views.db'), views: allProjections });
    const publisher = new InMemoryPublisher();
    const service = await startService({
      eventStore,
      catalogue: new SqliteEventStore({ filename: path.join(dataDir, 'catalogue.db') }),
      viewStore,
      clock: new TestClock(),
      logger,
      secrets: testSecrets,
      runner: { pollIntervalMs: 10 },
      relay: { publisher, checkpoints: viewStore, options: { pollIntervalMs: 10 } },
    });
    const server = createServer(service.app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    const seen: string[] = [];
    const call = async (pathAndQuery: string, init: RequestInit = {}) => {
      const res = await fetch(`${base}${pathAndQuery}`, {
        ...init,
        headers: { 'Content-Type': 'application/json', ...(init.headers as Record<string, string>) },
      });
      const text = await res.text();
      seen.push(text);
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };

    try {
      const typed = await call('/types/database', {
        method: 'PUT',
        body: JSON.stringify({
          schema: {
            type: 'object',
            properties: { snmpCommunity: { type: 'string', pattern: '^[a-z]+-CLEAR-[0-9]$', 'x-secret': true } },
          },
        }),
      });
      expect(typed.status).toBe(201);
      const refused = await call('/cis/orders-db', {
        method: 'PUT',
        body: JSON.stringify({ type: 'database', name: 'orders-db', attributes: { snmpCommunity: CLEAR[6] } }),
      });
      expect(refused.status).toBe(422);
      const desired = {
        type: 'database',
        name: 'orders-db',
        attributes: {
          engine: 'postgres',
          snmpCommunity: CLEAR[5],
          password: CLEAR[0],
          replica: { 'Connection String': `postgres://app:${CLEAR[1]}@db/orders` },
          api_key: CLEAR[2],
          endpoints: [{ name: 'ci', value: 'not secret by key' }],
        },
      };
      const created = await call('/cis/orders-db', { method: 'PUT', body: JSON.stringify(desired) });
      expect(created.status).toBe(201);
      const attributes = created.body['attributes'] as Record<string, Record<string, string>>;
      expect(attributes['password']).toEqual({ $secret: expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/) });
      expect(attributes['engine']).toBe('postgres');
      expect(attributes['snmpCommunity']).toEqual({ $secret: expect.stringMatching(/^hmac-sha256:/) });
      const firstFingerprint = attributes['password']!['$secret'];

      // The same value again: nothing changes, no revision.
      const again = await call('/cis/orders-db', { method: 'PUT', body: JSON.stringify(desired) });
      expect(again.body['revision']).toBe(1);
      // Sending back what was read changes nothing either.
      const { id: _id, revision: _r, recordedAt: _t, ...asRead } = created.body;
      expect((await call('/cis/orders-db', { method: 'PUT', body: JSON.stringify(asRead) })).body['revision']).toBe(1);

      // A new value is a visible change of fingerprint.
      const patched = await call('/cis/orders-db', {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({ attributes: { password: CLEAR[3], session_token: CLEAR[4] } }),
      });
      expect(patched.body['revision']).toBe(2);
      const newFingerprint = (patched.body['attributes'] as Record<string, Record<string, string>>)['password']![
        '$secret'
      ];
      expect(newFingerprint).not.toBe(firstFingerprint);

      await call('/cis/orders-db/restore', { method: 'POST', body: JSON.stringify({ revision: 1, dryRun: true }) });
      await call('/cis/orders-db/restore', { method: 'POST', body: JSON.stringify({ revision: 1 }) });
      await call('/cis/orders-db/history');
      await call('/cis/orders-db/diff?from=1&to=3');
      await call('/cis/orders-db?revision=2');
      await call(`/cis?asOf=${new Date().toISOString()}`);
      await call('/cis?minPosition=3');
      await call('/changes');

      // The stream, replayed from the start.
      const controller = new AbortController();
      const stream = await fetch(`${base}/changes/stream?from=0`, { signal: controller.signal });
      const reader = stream.body!.getReader();
      let streamed = '';
      while (!streamed.includes('id: 3\n')) streamed += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      seen.push(streamed);

      // Kafka: every message, change and state.
      for (let i = 0; i < 200 && publisher.published.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
      expect(publisher.published).toHaveLength(3);
      seen.push(JSON.stringify(publisher.published));
    } finally {
      server.closeAllConnections();
      server.close();
      await service.stop();
    }

    seen.push(logLines.join('\n'));
    const files = readdirSync(dataDir).map((name) => readFileSync(path.join(dataDir, name)));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const clear of CLEAR) {
      for (const text of seen) expect(text).not.toContain(clear);
      for (const bytes of files) expect(bytes.includes(Buffer.from(clear))).toBe(false);
    }
    // It did see the data: the non-secret values are there.
    expect(seen.join('\n')).toContain('not secret by key');
  });
});
