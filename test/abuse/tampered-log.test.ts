import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteEventStore } from '../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../src/adapters/view-store/sqlite-view-store';
import { verifyLog } from '../../src/application/verify-log';
import { createTestService } from '../support/test-service';
import { allProjections } from '../../projections';

/**
 * The log edited behind the service's back, by writing to its database file
 * directly: every kind of edit is caught by GET /verify, which names the
 * first event that does not verify (issue #11).
 */
describe('a log tampered with on disk', () => {
  let dataDir: string;
  let file: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cl-tamper-'));
    file = path.join(dataDir, 'events.db');
    const service = await createTestService({
      eventStore: new SqliteEventStore({ filename: file }),
      viewStore: new SqliteViewStore({ filename: path.join(dataDir, 'views.db'), views: allProjections }),
    });
    for (const id of ['web-01', 'web-02', 'db-01']) {
      await service
        .request()
        .put(`/api/v1/cis/${id}`)
        .send({ type: 'server', name: id, attributes: { cpu: 2 } });
      await service
        .request()
        .patch(`/api/v1/cis/${id}`)
        .set('Content-Type', 'application/merge-patch+json')
        .send({ attributes: { cpu: 4 } });
    }
    const verified = await service.request().get('/api/v1/verify').expect(200);
    expect(verified.body).toMatchObject({ ok: true, events: 6, chain: 'global', head: { position: 6 } });
    await service.stop();
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Edits the file with its own connection, as anyone with access to the data directory could. */
  function tamper(sql: string): void {
    const db = new Database(file);
    const before = db.prepare('SELECT total_changes() AS n').get() as { n: number };
    db.exec(sql);
    const after = db.prepare('SELECT total_changes() AS n').get() as { n: number };
    db.close();
    expect(after.n).toBeGreaterThan(before.n); // the edit really changed the file
  }

  async function verifyNow() {
    const store = new SqliteEventStore({ filename: file });
    try {
      return await verifyLog(store);
    } finally {
      await store.close();
    }
  }

  it.each([
    [
      'one byte of one event changed',
      `UPDATE events SET data = replace(data, '"value":4', '"value":5') WHERE position = 4`,
      { position: 4, ciId: 'web-02', reason: expect.stringMatching(/content does not match its hash/) },
    ],
    [
      'the metadata of an event changed (who did it)',
      `UPDATE events SET metadata = replace(metadata, 'anonymous', 'mallory') WHERE position = 2`,
      { position: 2, ciId: 'web-01', reason: expect.stringMatching(/content does not match/) },
    ],
    [
      'an event deleted from the middle',
      'DELETE FROM events WHERE position = 3',
      { position: 4, reason: expect.stringMatching(/does not follow the event before it/) },
    ],
    [
      'the last event deleted',
      'DELETE FROM events WHERE position = 6',
      { position: 6, reason: expect.stringMatching(/events were deleted from its end/) },
    ],
    [
      'two events swapped',
      `UPDATE events SET position = -1 WHERE position = 2;
       UPDATE events SET position = 2 WHERE position = 3;
       UPDATE events SET position = 3 WHERE position = -1;`,
      { position: 2, reason: expect.stringMatching(/does not follow/) },
    ],
    [
      'an edited event given a fresh hash of its own',
      `UPDATE events SET data = replace(data, '"value":4', '"value":9'), hash = '${'a'.repeat(64)}' WHERE position = 2`,
      { position: 2, reason: expect.stringMatching(/content does not match/) },
    ],
    [
      'an event inserted behind the service',
      `INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at, recorded_ms, prev_hash, hash)
       SELECT 'x', stream, 3, type, data, metadata, recorded_at, recorded_ms, hash, hash FROM events WHERE position = 6`,
      { position: 7, reason: expect.stringMatching(/content does not match|recorded head/) },
    ],
    [
      // Opening the log chains only events after its recorded head, so this is not taken for a log
      // from before the chain and re-chained as an upgrade: the edit is caught where it was made.
      'an edited event with its hash erased, to pass as one from before the chain',
      `UPDATE events SET data = replace(data, '"value":4', '"value":9'), prev_hash = NULL, hash = NULL WHERE position = 2`,
      { position: 2 },
    ],
  ])('catches %s', async (_what, sql, expected) => {
    expect((await verifyNow()).ok).toBe(true);
    tamper(sql);
    expect(await verifyNow()).toMatchObject({ ok: false, ...expected });
  });

  it('catches an edit of the catalogue (CI types, baselines) too', async () => {
    const catalogueFile = path.join(dataDir, 'catalogue.db');
    const open = () =>
      createTestService({
        eventStore: new SqliteEventStore({ filename: file }),
        catalogue: new SqliteEventStore({ filename: catalogueFile }),
        viewStore: new SqliteViewStore({ filename: path.join(dataDir, 'views.db'), views: allProjections }),
      });
    let service = await open();
    await service
      .request()
      .put('/api/v1/types/server')
      .send({ schema: { required: ['serial'] } })
      .expect(201);
    const fine = await service.request().get('/api/v1/verify').expect(200);
    expect(fine.body).toMatchObject({ ok: true, events: 6, catalogue: { ok: true, events: 1 } });
    await service.stop();

    // Loosening a type behind the service's back, to let CIs in that it would refuse:
    const db = new Database(catalogueFile);
    db.exec(`UPDATE events SET data = replace(data, '"serial"', '"serial-not"')`);
    db.close();
    service = await open();
    try {
      const caught = await service.request().get('/api/v1/verify').expect(200);
      expect(caught.body).toMatchObject({
        ok: false,
        position: 1,
        reason: expect.stringMatching(
          /^the catalogue log \(CI types, baselines\): its content does not match its hash/,
        ),
      });
    } finally {
      await service.stop();
    }
  });
});

describe('a log recorded before chaining existed', () => {
  it('is chained once at upgrade, recorded as such, and verifies from then on', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cl-upgrade-'));
    const file = path.join(dataDir, 'events.db');
    try {
      // The schema and rows as the service wrote them before the chain.
      const legacy = new Database(file);
      legacy.exec(`CREATE TABLE events (
        position INTEGER PRIMARY KEY, event_id TEXT NOT NULL, stream TEXT NOT NULL, revision INTEGER NOT NULL,
        type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL,
        recorded_ms INTEGER NOT NULL, UNIQUE (stream, revision))`);
      const metadata = JSON.stringify({
        actor: 'old',
        reason: null,
        changeRef: null,
        source: 'api',
        correlationId: null,
      });
      const document = { type: 'server', name: 'legacy', status: 'live', attributes: {}, relationships: [] };
      legacy
        .prepare('INSERT INTO events VALUES (1, ?, ?, 1, ?, ?, ?, ?, ?)')
        .run(
          'e1',
          'ci-legacy',
          'CiRegistered',
          JSON.stringify({ ciId: 'legacy', document }),
          metadata,
          '2025-01-01T00:00:00.000Z',
          Date.parse('2025-01-01'),
        );
      legacy.close();

      const store = new SqliteEventStore({ filename: file });
      expect(store.upgrade).toMatchObject({ firstPosition: 1, lastPosition: 1, events: 1 });
      await store.append(
        'ci-legacy',
        [
          {
            id: 'e2',
            type: 'CiRetired',
            data: { ciId: 'legacy', patch: [] },
            metadata: JSON.parse(metadata),
            recordedAt: '2026-01-01T00:00:00.000Z',
          },
        ],
        1,
      );
      expect(await verifyLog(store)).toMatchObject({
        ok: true,
        events: 2,
        upgrades: [{ firstPosition: 1, lastPosition: 1, events: 1, chainedAt: expect.any(String) }],
      });
      await store.close();
      // Opening it again chains nothing more.
      const again = new SqliteEventStore({ filename: file });
      expect(again.upgrade).toBeUndefined();
      await again.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
