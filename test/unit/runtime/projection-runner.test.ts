import { allProjections, currentCisProjection, type AnyProjection } from '../../../projections';
import { SqliteEventStore } from '../../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../../src/adapters/view-store/sqlite-view-store';
import type { ViewBatch, ViewStore } from '../../../src/ports/view-store';
import { ProjectionRunner } from '../../../src/runtime/projection-runner';
import { dumpViews } from '../../support/dump-views';
import { seedLog } from '../../support/seed-log';
import { silentLogger } from '../../support/test-service';
import { viewQueries } from '../../support/view-queries';

function runner(
  eventStore: SqliteEventStore,
  viewStore: ViewStore,
  projections: readonly AnyProjection[] = allProjections,
  batchSize = 4,
) {
  return new ProjectionRunner(eventStore, viewStore, projections, silentLogger, {
    batchSize,
    pollIntervalMs: 10,
    retryDelayMs: 1,
  });
}

async function runUntilCaughtUp(run: ProjectionRunner, position: number) {
  await run.start();
  expect(await run.waitForPosition(position, 5000)).toBe(true);
  await run.stop();
}

describe('ProjectionRunner', () => {
  let eventStore: SqliteEventStore;
  let viewStore: SqliteViewStore;

  beforeEach(() => {
    eventStore = new SqliteEventStore({ filename: ':memory:' });
    viewStore = new SqliteViewStore({ filename: ':memory:', views: allProjections });
  });
  afterEach(async () => {
    await eventStore.close();
    await viewStore.close();
  });

  it('projects the log in pages, chaining several events of one CI within a page', async () => {
    const head = await seedLog(eventStore, 3, 2);
    await runUntilCaughtUp(runner(eventStore, viewStore, allProjections, 4), head);
    const views = await dumpViews(viewStore);
    expect(views.currentCis.map((ci) => [ci.ciId, ci.revision, ci.document.attributes])).toEqual([
      ['ci-0', 3, { change: 2 }],
      ['ci-1', 3, { change: 2 }],
    ]);
    expect(views.ciVersions).toHaveLength(6);
    expect(views.changeFeed.map((entry) => entry.position)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(await viewStore.readCheckpoints()).toEqual(
      expect.arrayContaining(allProjections.map((p) => ({ projection: p.name, version: p.version, position: head }))),
    );
  });

  it('changes nothing when events are replayed (checkpoints lost, documents kept)', async () => {
    const head = await seedLog(eventStore, 3, 3);
    await runUntilCaughtUp(runner(eventStore, viewStore), head);
    const before = await dumpViews(viewStore);
    await viewStore.applyBatch({
      writes: [],
      checkpoints: allProjections.map((p) => ({ projection: p.name, version: p.version, position: 0 })),
    });
    await runUntilCaughtUp(runner(eventStore, viewStore), head);
    expect(await dumpViews(viewStore)).toEqual(before);
  });

  it('resumes from its checkpoint after a restart and picks up new events', async () => {
    const head = await seedLog(eventStore, 1, 2);
    await runUntilCaughtUp(runner(eventStore, viewStore), head);
    const more = await seedLog(eventStore, 2, 2); // re-declares ci-0 and ci-1 twice more
    await runUntilCaughtUp(runner(eventStore, viewStore), more);
    expect((await viewQueries(viewStore).getCurrentCi('ci-1'))?.revision).toBeGreaterThan(1);
    expect(await viewQueries(viewStore).listChanges({ limit: 100 })).toHaveLength(more);
  });

  it('follows live appends once caught up', async () => {
    const live = runner(eventStore, viewStore);
    await live.start();
    const head = await seedLog(eventStore, 2, 2);
    expect(await live.waitForPosition(head, 5000)).toBe(true);
    expect(live.status().state).toBe('live');
    await live.stop();
  });

  it('rebuilds a view from the log when its projection version changes', async () => {
    const head = await seedLog(eventStore, 2, 2);
    await runUntilCaughtUp(runner(eventStore, viewStore), head);
    const renamed: typeof currentCisProjection = {
      ...currentCisProjection,
      version: currentCisProjection.version + 1,
      project: (latest, event) =>
        currentCisProjection
          .project(latest, event)
          .map((doc) => ({ ...doc, document: { ...doc.document, name: doc.document.name.toUpperCase() } })),
    };
    const projections = allProjections.map((p) => (p.name === 'currentCis' ? renamed : p));
    await runUntilCaughtUp(runner(eventStore, viewStore, projections), head);
    expect((await viewQueries(viewStore).getCurrentCi('ci-0'))?.document.name).toBe('CI 0');
    expect(await viewStore.readCheckpoints()).toEqual(
      expect.arrayContaining([{ projection: 'currentCis', version: renamed.version, position: head }]),
    );
    expect(await viewQueries(viewStore).listChanges({ limit: 100 })).toHaveLength(head); // other views untouched
  });

  it('retries a failing view store with backoff and loses nothing', async () => {
    const head = await seedLog(eventStore, 2, 3);
    let failures = 3;
    const flaky: ViewStore = Object.create(viewStore) as ViewStore;
    flaky.applyBatch = async (batch: ViewBatch) => {
      if (failures-- > 0) throw new Error('disk briefly unavailable');
      return viewStore.applyBatch(batch);
    };
    const run = runner(eventStore, flaky);
    await runUntilCaughtUp(run, head);
    expect(failures).toBeLessThan(0);
    expect((await dumpViews(viewStore)).changeFeed).toHaveLength(head);
  });
});
