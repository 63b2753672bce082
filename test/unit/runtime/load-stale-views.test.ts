import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import pino from 'pino';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { allProjections } from '../../../projections';
import { SqliteEventStore } from '../../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../../src/adapters/view-store/sqlite-view-store';
import { loadStaleViews, staleProjections } from '../../../src/runtime/load-stale-views';
import { ProjectionRunner } from '../../../src/runtime/projection-runner';
import { dumpViews } from '../../support/dump-views';
import { seedLog } from '../../support/seed-log';
import { silentLogger } from '../../support/test-service';
import { viewQueries } from '../../support/view-queries';

/** The built rebuild worker script (npm test builds first). */
const workerScript = path.resolve(__dirname, '../../../dist/src/rebuild-worker-thread.js');
const itWhenBuilt = existsSync(workerScript) ? it : it.skip;
if (!existsSync(workerScript)) console.warn('loads on worker threads skipped: run `npm run build` first');

describe('loadStaleViews', () => {
  let dir: string;
  let eventStore: SqliteEventStore;
  let head: number;
  const stores: SqliteViewStore[] = [];
  const viewStore = (name: string) => {
    const store = new SqliteViewStore({ filename: path.join(dir, name), views: allProjections });
    stores.push(store);
    return store;
  };
  /** Views brought up to the head by the live runner's catch-up, as the service did before. */
  const caughtUp = async (name: string) => {
    const store = viewStore(name);
    const runner = new ProjectionRunner(eventStore, store, allProjections, silentLogger);
    await runner.start();
    expect(await runner.waitForPosition(head, 5000)).toBe(true);
    await runner.stop();
    return store;
  };
  const load = (store: SqliteViewStore, signal?: AbortSignal) =>
    loadStaleViews({
      eventStore,
      viewStore: store,
      projections: allProjections,
      logger: silentLogger,
      ...(signal && { signal }),
    });
  /** As the service's projection worker loads: on worker threads, here two, in pages of 3 events. */
  const loadOnWorkers = (store: SqliteViewStore, onProgress?: () => void, signal?: AbortSignal) =>
    loadStaleViews({
      eventStore,
      viewStore: store,
      projections: allProjections,
      logger: silentLogger,
      batchSize: 3,
      progressIntervalMs: 0,
      parallel: { threads: 2, scriptPath: workerScript, eventStoreFile: path.join(dir, 'events.db'), batchRows: 4 },
      ...(onProgress && { onProgress }),
      ...(signal && { signal }),
    });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cl-stale-views-'));
    eventStore = new SqliteEventStore({ filename: path.join(dir, 'events.db') });
    head = await seedLog(eventStore, 4, 5);
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await eventStore.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads empty views in bulk to what the live catch-up makes, checkpoints at the head', async () => {
    const bulk = viewStore('bulk.db');
    expect((await staleProjections(bulk, allProjections)).map((p) => p.name)).toEqual(
      allProjections.map((p) => p.name),
    );
    let started = 0;
    const done = await loadStaleViews({
      eventStore,
      viewStore: bulk,
      projections: allProjections,
      logger: silentLogger,
      onStart: () => (started += 1),
    });
    expect(started).toBe(1);
    expect(done).toMatchObject({ eventsApplied: 20, position: head, fraction: 1 });
    expect(await staleProjections(bulk, allProjections)).toEqual([]);
    const reference = await caughtUp('caught-up.db');
    expect(await dumpViews(bulk)).toEqual(await dumpViews(reference));
    expect(await bulk.readCheckpoints()).toEqual(await reference.readCheckpoints());
  });

  it('says how far it has got while it loads, then that it is done', async () => {
    const lines: string[] = [];
    const progress: number[] = [];
    await loadStaleViews({
      eventStore,
      viewStore: viewStore('views.db'),
      projections: allProjections,
      logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
      batchSize: 4,
      progressIntervalMs: 0,
      progressLogIntervalMs: 0,
      onProgress: (loaded) => progress.push(loaded.eventsApplied),
    });
    const logged = lines.map((line) => JSON.parse(line) as { msg: string; events?: number; percent?: number });
    const loading = logged.filter((entry) => entry.msg === 'loading views in bulk');
    // 20 events in pages of 4 (the pages end at CI boundaries): lines before the end, none at 100%.
    expect(loading.length).toBeGreaterThan(0);
    expect(loading.every((entry) => entry.events! < 20 && entry.percent! < 100)).toBe(true);
    expect(progress.at(-1)).toBe(20);
    expect(logged.at(-1)).toMatchObject({ msg: 'views loaded in bulk; following the log from there', events: 20 });
  });

  it('loads only the views that hold nothing of the log, leaving the others as they are', async () => {
    const views = await caughtUp('views.db');
    const graph = allProjections.find((p) => p.name === 'graph')!;
    await views.resetView('graph', graph.version); // emptied, at checkpoint 0
    expect((await staleProjections(views, allProjections)).map((p) => p.name)).toEqual(['graph']);
    const loaded: string[][] = [];
    const startBulkLoad = views.startBulkLoad.bind(views);
    views.startBulkLoad = (which) => {
      loaded.push(which.map((view) => view.projection));
      return startBulkLoad(which);
    };
    await load(views);
    expect(loaded).toEqual([['graph']]);
    expect(await dumpViews(views)).toEqual(await dumpViews(await caughtUp('reference.db')));
    expect((await views.readCheckpoints()).map((checkpoint) => checkpoint.position)).toEqual(
      allProjections.map(() => head),
    );
  });

  it('counts a view of another projection version as holding nothing, wherever its checkpoint is', async () => {
    const views = await caughtUp('views.db');
    await views.applyBatch({ writes: [], checkpoints: [{ projection: 'changeFeed', version: 1, position: head }] });
    expect((await staleProjections(views, allProjections)).map((p) => p.name)).toEqual(['changeFeed']);
  });

  it('does nothing when every view holds the log, or the log is empty', async () => {
    expect(await load(await caughtUp('views.db'))).toBeUndefined();
    const emptyLog = new SqliteEventStore({ filename: path.join(dir, 'empty.db') });
    const views = viewStore('for-empty.db');
    await expect(
      loadStaleViews({ eventStore: emptyLog, viewStore: views, projections: allProjections, logger: silentLogger }),
    ).resolves.toBeUndefined();
    await emptyLog.close();
  });

  itWhenBuilt('on worker threads, loads what one thread loads', async () => {
    const one = viewStore('one.db');
    const two = viewStore('two.db');
    await load(one);
    expect(await loadOnWorkers(two)).toMatchObject({ eventsApplied: 20, fraction: 1, position: head });
    expect(await dumpViews(two)).toEqual(await dumpViews(one));
    expect(await two.readCheckpoints()).toEqual(await one.readCheckpoints());
  });

  itWhenBuilt(
    'stopped while its worker threads load, fails with the reason and leaves the views empty at 0',
    async () => {
      const views = viewStore('views.db');
      const stop = new AbortController();
      const progress: number[] = [];
      // Stopped at the first page a worker reports: that worker has more to load, so the load cannot end first.
      const loading = loadOnWorkers(
        views,
        () => {
          progress.push(1);
          stop.abort(new Error('the service is stopping'));
        },
        stop.signal,
      );
      await expect(loading).rejects.toThrow('the service is stopping');
      expect(progress.length).toBeGreaterThan(0);
      expect(await viewQueries(views).listCurrentCis({ includeRetired: true, limit: 100 })).toEqual([]);
      expect(await viewQueries(views).listChanges({ limit: 100 })).toEqual([]);
      expect((await views.readCheckpoints()).map((checkpoint) => checkpoint.position)).toEqual(
        allProjections.map(() => 0),
      );
    },
  );

  it('stopped, fails with the reason and leaves those views empty at checkpoint 0', async () => {
    const views = viewStore('views.db');
    const stop = new AbortController();
    stop.abort(new Error('the service is stopping'));
    await expect(load(views, stop.signal)).rejects.toThrow('the service is stopping');
    expect(await viewQueries(views).listCurrentCis({ includeRetired: true, limit: 100 })).toEqual([]);
    expect((await views.readCheckpoints()).map((checkpoint) => checkpoint.position)).toEqual(
      allProjections.map(() => 0),
    );
  });
});
