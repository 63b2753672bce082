import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { SqliteEventStore } from '../../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../../src/adapters/view-store/sqlite-view-store';
import { CiCommandHandler } from '../../../src/application/ci-command-handler';
import type { ChangeMetadata } from '../../../src/domain';
import { ProjectionWorker } from '../../../src/runtime/projection-worker';
import { TestClock } from '../../support/test-clock';
import { silentLogger } from '../../support/test-service';
import { allProjections } from '../../../projections';
import { viewQueries } from '../../support/view-queries';

/** Worker threads run compiled JavaScript: the build's worker script (npm test builds first). */
const scriptPath = path.resolve(__dirname, '../../../dist/src/projection-worker-thread.js');
const describeBuilt = existsSync(scriptPath) ? describe : describe.skip;
if (!existsSync(scriptPath))
  console.warn('projection worker tests skipped: run `npm run build` first (npm test does it)');

const metadata: ChangeMetadata = { actor: 'tester', reason: null, changeRef: null, source: 'api', correlationId: null };

/** Live once the runner's next read finds nothing more: a status message after the position's. */
async function untilLive(worker: ProjectionWorker): Promise<void> {
  for (let waited = 0; worker.status().state !== 'live' && waited < 5000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeBuilt('ProjectionWorker', () => {
  let dir: string;
  let eventStore: SqliteEventStore;
  let views: SqliteViewStore;
  let commands: CiCommandHandler;
  let projections: ProjectionWorker | undefined;
  const files = () => ({
    eventStoreFile: path.join(dir, 'events.db'),
    viewStoreFile: path.join(dir, 'views.db'),
  });
  const declare = (ciId: string, cpu: number) =>
    commands.execute(
      { type: 'DeclareCi', ciId, desired: { type: 'server', name: ciId, attributes: { cpu }, relationships: [] } },
      { metadata },
    );

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cl-worker-'));
    eventStore = new SqliteEventStore({ filename: files().eventStoreFile });
    views = new SqliteViewStore({ filename: files().viewStoreFile, views: allProjections });
    commands = new CiCommandHandler({ eventStore, clock: new TestClock(), newEventId: randomUUID });
  });
  afterEach(async () => {
    await projections?.stop();
    projections = undefined;
    await eventStore.close();
    await views.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const startWorker = async (overrides: Partial<ReturnType<typeof files>> = {}) => {
    projections = new ProjectionWorker({
      ...files(),
      ...overrides,
      appended$: eventStore.appended$,
      logger: silentLogger,
      runner: { pollIntervalMs: 60_000 }, // wake-ups must come from the forwarded appends
      scriptPath,
      restartDelayMs: 10,
    });
    await projections.start();
    return projections;
  };

  it('projects the service’s appends in the worker, readable from the service’s own connection', async () => {
    await declare('srv-1', 4); // before start: caught up from the log
    const worker = await startWorker();
    const { position } = await declare('srv-2', 8);
    expect(await worker.waitForPosition(position, 5000)).toBe(true);
    expect(worker.currentPosition()).toBe(position);
    await untilLive(worker);
    expect(worker.status()).toMatchObject({ state: 'live', position, eventsApplied: 2 });
    expect((await viewQueries(views).getCurrentCi('srv-2'))?.document.attributes).toEqual({ cpu: 8 });
    expect((await viewQueries(views).getCurrentCi('srv-1'))?.document.attributes).toEqual({ cpu: 4 });

    await worker.stop();
    expect(worker.status().state).toBe('stopped');
  });

  it('loads the views in bulk when they hold nothing of the log, then follows it', async () => {
    for (let i = 0; i < 30; i++) await declare(`srv-${i % 10}`, i);
    const worker = await startWorker();
    const { position } = await declare('srv-0', 99);
    expect(await worker.waitForPosition(position, 5000)).toBe(true);
    await untilLive(worker);
    // Applied since start: the 30 loaded in bulk and the one followed.
    expect(worker.status()).toMatchObject({ state: 'live', position, eventsApplied: 31 });
    expect((await viewQueries(views).getCurrentCi('srv-0'))?.document.attributes).toEqual({ cpu: 99 });
    expect((await viewQueries(views).getCurrentCi('srv-9'))?.revision).toBe(3);
    expect(await viewQueries(views).listChanges({ limit: 100 })).toHaveLength(31);
  });

  it('replaces a worker that died, resuming from the checkpoints', async () => {
    const worker = await startWorker();
    const first = await declare('srv-1', 1);
    expect(await worker.waitForPosition(first.position, 5000)).toBe(true);
    const running = Reflect.get(worker, 'worker') as Worker;
    await running.terminate();
    expect(worker.status()).toMatchObject({ state: 'retrying', lastError: expect.stringMatching(/exited/) });

    const second = await declare('srv-1', 2);
    expect(await worker.waitForPosition(second.position, 5000)).toBe(true);
    await untilLive(worker);
    expect(worker.status()).toMatchObject({ state: 'live', lastError: undefined });
    expect((await viewQueries(views).getCurrentCi('srv-1'))?.revision).toBe(2);
  });

  it('fails to start with the worker’s own error when a store cannot be opened', async () => {
    const notAFile = path.join(dir, 'a-directory');
    mkdirSync(notAFile);
    await expect(startWorker({ viewStoreFile: notAFile })).rejects.toThrow(/unable to open database file/);
    projections = undefined;
  });
});
