import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteEventStore } from '../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../src/adapters/view-store/sqlite-view-store';
import { loadConfig } from '../../src/config';
import { openStores } from '../../src/open-stores';
import { createTestService, silentLogger } from '../support/test-service';
import { dumpViews } from '../support/dump-views';
import { allProjections } from '../../projections';

/**
 * `npm run rebuild-views` as a user runs it (the built CLI, stderr not a
 * terminal): the views it rebuilds equal the ones the service built live.
 */
const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/src/cli/rebuild-views.js');
const describeCli = existsSync(cli) ? describe : describe.skip;
if (!existsSync(cli)) console.warn('rebuild-views CLI test skipped: run `npm run build` first (npm test does it)');

describeCli('rebuild-views CLI', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cl-rebuild-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('drops and rebuilds every view from the log, printing progress lines, to the same views', async () => {
    const service = await createTestService({
      eventStore: new SqliteEventStore({ filename: path.join(dataDir, 'events.db') }),
      viewStore: new SqliteViewStore({ filename: path.join(dataDir, 'views.db'), views: allProjections }),
    });
    for (let i = 0; i < 30; i++) {
      const id = `srv-${String(i).padStart(2, '0')}`;
      await service
        .request()
        .put(`/api/v1/cis/${id}`)
        .set('X-Actor', 'tester')
        .send({ type: 'server', name: id, attributes: { cpu: i } })
        .expect(201);
      service.clock.advance(1000);
      await service
        .request()
        .patch(`/api/v1/cis/${id}`)
        .set('X-Actor', 'tester')
        .set('Content-Type', 'application/merge-patch+json')
        .send({ attributes: { cpu: i + 1 } })
        .expect(200);
      if (i % 3 === 0) await service.request().delete(`/api/v1/cis/${id}`).set('X-Actor', 'tester').expect(200);
    }
    expect(await service.queries.waitForViews(await service.eventStore.headPosition(), 5000)).toBe(true);
    const live = await dumpViews(service.viewStore);
    await service.stop();

    const run = spawnSync(process.execPath, [cli, '--batch-size', '7'], {
      env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    });
    expect(run.stderr).toMatch(/rebuilding views: 100\.0%, 70 events/);
    expect(run.stderr).toMatch(new RegExp(`rebuilt ${allProjections.length} views from 70 events`));
    expect(run.status).toBe(0);

    const views = new SqliteViewStore({ filename: path.join(dataDir, 'views.db'), views: allProjections });
    expect(await dumpViews(views)).toEqual(live);
    await views.close();
  });

  it('refuses a bad option with a message naming it', () => {
    const run = spawnSync(process.execPath, [cli, '--batch-size', 'lots'], {
      env: { ...process.env, DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/--batch-size.*must be a whole number/);
  });

  it('refuses to run while a service runs the projections (it holds their lease), and changes nothing', async () => {
    // A service as main.ts starts it: stores opened by openStores, the projections under the shared lease.
    const stores = await openStores(loadConfig({ DATA_DIR: dataDir }), silentLogger);
    const service = await createTestService({
      eventStore: stores.eventStore,
      viewStore: stores.viewStore,
      lease: { store: stores.viewStore, holder: 'service-1', ttlMs: 5000, renewMs: 1000 },
    });
    try {
      for (let i = 0; i < 20; i++) {
        await service
          .request()
          .put(`/api/v1/cis/srv-${i}`)
          .send({ type: 'server', name: `srv-${i}` })
          .expect(201);
      }
      expect(await service.queries.waitForViews(await service.eventStore.headPosition(), 5000)).toBe(true);
      const before = await dumpViews(service.viewStore);

      const run = spawnSync(process.execPath, [cli], {
        env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
        encoding: 'utf8',
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/the views are in use: .*holds their lease.*Stop every service first/);
      expect(run.stderr).not.toMatch(/rebuilding views/);
      expect(await dumpViews(service.viewStore)).toEqual(before);
      // ...and the service goes on writing and projecting.
      await service.request().put('/api/v1/cis/srv-after').send({ type: 'server', name: 'after' }).expect(201);
      await service.request().get('/api/v1/cis/srv-after').expect(200);
    } finally {
      await service.stop();
      stores.releaseDataDir();
    }
  });
});
