import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { openStores, redact } from '../../src/open-stores';
import { silentLogger } from '../support/test-service';

describe('openStores', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cl-stores-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('uses the embedded SQLite files when no server is configured', async () => {
    const stores = await openStores(loadConfig({ DATA_DIR: dataDir }), silentLogger);
    expect([stores.eventStore.adapter, stores.viewStore.adapter]).toEqual(['sqlite', 'sqlite']);
    expect(stores.description).toEqual({
      dataDir,
      eventStore: `sqlite (${path.join(dataDir, 'events.db')})`,
      catalogue: `sqlite (${path.join(dataDir, 'catalogue.db')})`,
      viewStore: `sqlite (${path.join(dataDir, 'views.db')})`,
    });
    await stores.eventStore.close();
    await stores.catalogue.close();
    await stores.viewStore.close();
    stores.releaseDataDir();
  });

  it('lets several processes open one data directory; its lease lets one at a time run the projections', async () => {
    const first = await openStores(loadConfig({ DATA_DIR: dataDir }), silentLogger);
    const second = await openStores(loadConfig({ DATA_DIR: dataDir }), silentLogger);
    expect(await first.viewStore.acquireLease('projections', 'first', 60_000)).toBe(true);
    expect(await second.viewStore.acquireLease('projections', 'second', 60_000)).toBe(false);
    expect(await first.viewStore.acquireLease('projections', 'first', 60_000)).toBe(true); // renewed
    await first.viewStore.releaseLease('projections', 'first');
    expect(await second.viewStore.acquireLease('projections', 'second', 60_000)).toBe(true);
    for (const stores of [first, second]) {
      await stores.eventStore.close();
      await stores.catalogue.close();
      await stores.viewStore.close();
      stores.releaseDataDir();
    }
  });

  it('names DATA_DIR when it is a file', async () => {
    const file = path.join(dataDir, 'a-file');
    writeFileSync(file, 'x');
    await expect(openStores(loadConfig({ DATA_DIR: file }), silentLogger)).rejects.toThrow(
      /^DATA_DIR: .*a-file is a file, not a directory; point DATA_DIR at a directory$/,
    );
  });

  it('picks EventStoreDB for the log alone when only EVENTSTORE_URL is set, without its password in the description', async () => {
    const config = loadConfig({ DATA_DIR: dataDir, EVENTSTORE_URL: 'esdb://admin:secret@127.0.0.1:1?tls=false' });
    const stores = await openStores(config, silentLogger);
    expect([stores.eventStore.adapter, stores.viewStore.adapter]).toEqual(['eventstoredb', 'sqlite']);
    expect(stores.description['eventStore']).toBe('eventstoredb (esdb://admin:***@127.0.0.1:1?tls=false)');
    expect(stores.catalogue.adapter).toBe('eventstoredb'); // types and baselines live beside the CIs
    await stores.eventStore.close();
    await stores.catalogue.close();
    await stores.viewStore.close();
    stores.releaseDataDir();
  });

  it('fails with a message naming MONGODB_URL when MongoDB cannot be reached', async () => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      MONGODB_URL: 'mongodb://127.0.0.1:1/configledger?serverSelectionTimeoutMS=200',
    });
    await expect(openStores(config, silentLogger)).rejects.toThrow(
      /cannot connect to MongoDB at mongodb:\/\/127\.0\.0\.1:1\/configledger.*Check MONGODB_URL/,
    );
  });

  it('commits the log on the thread it is given unless SQLITE_COMMIT_THREAD is off', async () => {
    // A thread that cannot start tells the two apart: appends through it fail and say so.
    const broken = path.join(dataDir, 'broken-thread.js');
    writeFileSync(broken, "throw new Error('no thread here');\n");
    const event = {
      id: 'e-1',
      type: 'CiChanged',
      data: { ciId: 'x', patch: [] },
      metadata: { actor: 't', reason: null, changeRef: null, source: 'api', correlationId: null },
      recordedAt: '2026-01-01T00:00:00.000Z',
    };
    for (const [setting, outcome] of [
      ['on', 'rejected'],
      ['off', 'fulfilled'],
    ] as const) {
      const dir = path.join(dataDir, setting);
      const stores = await openStores(loadConfig({ DATA_DIR: dir, SQLITE_COMMIT_THREAD: setting }), silentLogger, {
        commitThreadScript: broken,
      });
      const [result] = await Promise.allSettled([stores.eventStore.append('s-1', [event], 'no_stream')]);
      expect(result.status).toBe(outcome);
      if (result.status === 'rejected')
        expect(String(result.reason)).toMatch(/commit thread stopped \(no thread here\)/);
      await stores.eventStore.close();
      await stores.catalogue.close();
      await stores.viewStore.close();
      stores.releaseDataDir();
    }
  });

  it('redacts passwords from connection strings', () => {
    expect(redact('mongodb://user:p%40ss@db:27017/x')).toBe('mongodb://user:***@db:27017/x');
    expect(redact('esdb://localhost:2113?tls=false')).toBe('esdb://localhost:2113?tls=false');
  });
});
