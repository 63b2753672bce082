import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { allProjections } from '../../../projections';
import { SqliteEventStore } from '../../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../../src/adapters/view-store/sqlite-view-store';
import type { ChangeMetadata } from '../../../src/domain';
import type { ViewStore } from '../../../src/ports/view-store';
import { rebuildViews, type RebuildProgress } from '../../../src/runtime/rebuild-views';
import { dumpViews } from '../../support/dump-views';
import { seedLog } from '../../support/seed-log';
import { silentLogger } from '../../support/test-service';
import { viewQueries } from '../../support/view-queries';

const metadata: ChangeMetadata = { actor: 'tester', reason: null, changeRef: null, source: 'api', correlationId: null };

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

  const rebuild = (viewStore: ViewStore, onProgress?: (progress: RebuildProgress) => void) =>
    rebuildViews({
      eventStore,
      viewStore,
      projections: allProjections,
      logger: silentLogger,
      batchSize: 3,
      progressIntervalMs: 0,
      ...(onProgress && { onProgress }),
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
    const raw = new Database(path.join(dir, 'events.db'));
    raw
      .prepare(
        `INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at, recorded_ms)
         VALUES (?, 'ci-ci-4', 5, 'CiChanged', '{"ciId":"ci-4","patch":"not a patch"}', ?, ?, 0)`,
      )
      .run(randomUUID(), JSON.stringify(metadata), '2026-01-02T00:00:00.000Z');
    raw.close();

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
      'ix_ciVersions_as_of',
      'ix_ci_versions_by_type_status',
      'ix_ci_versions_transitions',
      'ix_current_cis_by_licence_end',
      'ix_current_cis_by_support_end',
      'ix_current_cis_by_type',
      'ix_current_cis_by_type_status',
      'ix_current_cis_by_warranty_end',
      'ix_graph_as_of',
      'ix_graph_incoming',
      'ix_graph_open',
    ]);
  });
});
