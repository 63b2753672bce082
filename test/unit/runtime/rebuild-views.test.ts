import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { allProjections } from '../../../projections';
import { SqliteEventStore } from '../../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../../src/adapters/view-store/sqlite-view-store';
import { CiCommandHandler } from '../../../src/application/ci-command-handler';
import type { ChangeMetadata } from '../../../src/domain';
import type { ViewStore } from '../../../src/ports/view-store';
import { defaultRebuildThreads, rebuildViews, type RebuildProgress } from '../../../src/runtime/rebuild-views';
import { dumpViews } from '../../support/dump-views';
import { seedLog } from '../../support/seed-log';
import { TestClock } from '../../support/test-clock';
import { silentLogger } from '../../support/test-service';
import { viewQueries } from '../../support/view-queries';

const metadata: ChangeMetadata = { actor: 'tester', reason: null, changeRef: null, source: 'api', correlationId: null };

/** The built worker script: the parallel rebuild runs it in worker threads. */
const workerScript = path.resolve(__dirname, '../../../dist/src/rebuild-worker-thread.js');
const itWhenBuilt = existsSync(workerScript) ? it : it.skip;
if (!existsSync(workerScript))
  console.warn('parallel rebuild tests skipped: run `npm run build` first (npm test does it)');

describe('rebuildViews', () => {
  let dir: string;
  let eventStore: SqliteEventStore;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cl-rebuild-unit-'));
    eventStore = new SqliteEventStore({ filename: path.join(dir, 'events.db') });
    await seedLog(eventStore, 4, 5);
  });
  afterEach(async () => {
    await eventStore.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a 5th event of the CI behind the store, with a patch that is not a patch. */
  function appendCorruptEvent(ciId: string): void {
    const raw = new Database(path.join(dir, 'events.db'));
    raw
      .prepare(
        `INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at, recorded_ms)
         VALUES (?, ?, 5, 'CiChanged', ?, ?, ?, 0)`,
      )
      .run(
        randomUUID(),
        `ci-${ciId}`,
        JSON.stringify({ ciId, patch: 'not a patch' }),
        JSON.stringify(metadata),
        '2026-01-02T00:00:00.000Z',
      );
    raw.close();
  }

  const rebuild = (viewStore: ViewStore, onProgress?: (progress: RebuildProgress) => void, threads = 1) =>
    rebuildViews({
      eventStore,
      viewStore,
      projections: allProjections,
      logger: silentLogger,
      batchSize: 3,
      progressIntervalMs: 0,
      ...(onProgress && { onProgress }),
      // Batches of 4 rows: a CI's rows span several, as they do at 2,500 in a large log.
      parallel: { threads, scriptPath: workerScript, eventStoreFile: path.join(dir, 'events.db'), batchRows: 4 },
    });

  itWhenBuilt('in worker threads, each a range of CIs, loads the same views as one thread does', async () => {
    // A relationship per CI as well, so the graph's rows are split between the workers too.
    const commands = new CiCommandHandler({ eventStore, clock: new TestClock(), newEventId: randomUUID });
    for (let ci = 0; ci < 5; ci++)
      await commands.execute(
        {
          type: 'DeclareCi',
          ciId: `ci-${ci}`,
          desired: {
            type: 'server',
            name: `ci ${ci}`,
            attributes: { change: 9 },
            relationships: [{ type: 'depends_on', target: `ci-${(ci + 1) % 5}` }],
          },
        },
        { metadata },
      );
    const splits = await eventStore.streamSplits(await eventStore.headPosition(), 3);
    expect(splits).toHaveLength(2);
    const one = new SqliteViewStore({ filename: path.join(dir, 'one.db'), views: allProjections });
    const three = new SqliteViewStore({ filename: path.join(dir, 'three.db'), views: allProjections });
    await rebuild(one);
    const seen: RebuildProgress[] = [];
    const done = await rebuild(three, (progress) => seen.push(progress), 3);
    expect(done).toMatchObject({ eventsApplied: 25, fraction: 1, position: await eventStore.headPosition() });
    expect(seen.some((progress) => progress.fraction > 0 && progress.fraction < 1)).toBe(true);
    const views = await dumpViews(three);
    expect(views).toEqual(await dumpViews(one));
    expect(JSON.stringify(views)).toContain('depends_on');
    expect(await three.readCheckpoints()).toEqual(await one.readCheckpoints());
    await Promise.all([one.close(), three.close()]);
  });

  itWhenBuilt('in worker threads, fails on a corrupt event as one thread does, leaving empty views at 0', async () => {
    const views = new SqliteViewStore({ filename: path.join(dir, 'views.db'), views: allProjections });
    await rebuild(views, undefined, 3);
    appendCorruptEvent(`ci-0`);
    await expect(rebuild(views, undefined, 3)).rejects.toThrow(/in ci-ci-0 is not a valid CI event/);
    expect(await viewQueries(views).listCurrentCis({ includeRetired: true, limit: 100 })).toEqual([]);
    expect(await viewQueries(views).listChanges({ limit: 100 })).toEqual([]);
    expect((await views.readCheckpoints()).map((checkpoint) => checkpoint.position)).toEqual(
      allProjections.map(() => 0),
    );
    await views.close();
  });

  it('bulk-loads on SQLite and replays elsewhere, to the same views, reporting progress up to 100 %', async () => {
    const bulk = new SqliteViewStore({ filename: path.join(dir, 'bulk.db'), views: allProjections });
    const seen: RebuildProgress[] = [];
    const done = await rebuild(bulk, (progress) => seen.push(progress));
    expect(done).toMatchObject({ eventsApplied: 20, fraction: 1, target: await eventStore.headPosition() });
    expect(done.position).toBe(done.target);
    const fractions = seen.map((progress) => progress.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.some((fraction) => fraction > 0 && fraction < 1)).toBe(true);

    // The same store without the bulk capability goes through the projection runner.
    const replayed = new SqliteViewStore({ filename: path.join(dir, 'replayed.db'), views: allProjections });
    const withoutBulk = Object.assign(Object.create(replayed) as SqliteViewStore, { startBulkLoad: undefined });
    await rebuild(withoutBulk);
    expect(await dumpViews(bulk)).toEqual(await dumpViews(replayed));
    expect(await bulk.readCheckpoints()).toEqual(await replayed.readCheckpoints());
    await Promise.all([bulk.close(), replayed.close()]);
  });

  it('on a corrupt event, fails naming its position and leaves empty views at checkpoint 0 with their indexes', async () => {
    const viewsFile = path.join(dir, 'views.db');
    // Flushing every document: the CIs before the corrupt one are already inserted when it fails.
    const views = new SqliteViewStore({ filename: viewsFile, bulkLoadFlushSize: 1, views: allProjections });
    await rebuild(views);
    appendCorruptEvent(`ci-4`);

    await expect(rebuild(views)).rejects.toThrow(/event at position 21 in ci-ci-4 is not a valid CI event/);
    expect(await viewQueries(views).listCurrentCis({ includeRetired: true, limit: 100 })).toEqual([]);
    expect(await viewQueries(views).listChanges({ limit: 100 })).toEqual([]);
    expect((await views.readCheckpoints()).map((checkpoint) => checkpoint.position)).toEqual(
      allProjections.map(() => 0),
    );
    await views.close();
    const schema = new Database(viewsFile, { readonly: true });
    const indexes = schema
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all();
    schema.close();
    expect(indexes).toEqual([
      'ix_changeFeed_by_partition',
      'ix_change_feed_by_actor',
      'ix_change_feed_by_change_ref',
      'ix_change_feed_by_time',
      'ix_change_feed_by_type',
      'ix_ci_versions_by_type_status',
      'ix_ci_versions_transitions',
      'ix_current_cis_by_licence_end',
      'ix_current_cis_by_support_end',
      'ix_current_cis_by_type',
      'ix_current_cis_by_type_status',
      'ix_current_cis_by_warranty_end',
      // The temporal views' as-of order is their primary key (key, validFrom, revision): no index of its own.
      'ix_graph_incoming',
      'ix_graph_open',
    ]);
  });
});

describe('defaultRebuildThreads', () => {
  afterEach(() => jest.restoreAllMocks());

  it('takes one thread per core, at most four (the one writer keeps up with no more)', () => {
    const cores = jest.spyOn(os, 'availableParallelism');
    expect([1, 2, 3, 4, 8, 64].map((n) => (cores.mockReturnValue(n), defaultRebuildThreads()))).toEqual([
      1, 2, 3, 4, 4, 4,
    ]);
  });
});
