import { pino } from 'pino';
import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../../src/adapters/view-store/sqlite-view-store';
import { CiCommandHandler } from '../../../src/application/ci-command-handler';
import type { ChangeMetadata } from '../../../src/domain';
import type { CheckpointStore } from '../../../src/ports/checkpoint-store';
import type { RelayItem } from '../../../src/ports/publisher';
import { allProjections } from '../../../projections';
import { ProjectionRunner } from '../../../src/runtime/projection-runner';
import { RelayRunner } from '../../../src/runtime/relay-runner';
import { InMemoryPublisher } from '../../support/in-memory-publisher';
import { TestClock } from '../../support/test-clock';
import { viewQueries } from '../../support/view-queries';
import { silentLogger } from '../../support/test-service';

const metadata: ChangeMetadata = {
  actor: 'relay-test',
  reason: 'r',
  changeRef: 'CHG-1',
  source: 'api',
  correlationId: 'c',
};

describe('RelayRunner', () => {
  let eventStore: SqliteEventStore;
  let viewStore: SqliteViewStore;
  let projections: ProjectionRunner;
  let commands: CiCommandHandler;
  const clock = new TestClock();

  beforeEach(async () => {
    eventStore = new SqliteEventStore({ filename: ':memory:' });
    viewStore = new SqliteViewStore({ filename: ':memory:', views: allProjections });
    projections = new ProjectionRunner(eventStore, viewStore, allProjections, silentLogger, { pollIntervalMs: 10 });
    await projections.start();
    commands = new CiCommandHandler({ eventStore, clock, newEventId: randomUUID });
  });
  afterEach(async () => {
    await projections.stop();
    await eventStore.close();
    await viewStore.close();
  });

  /** Writes `rounds` changes to each of `cis` CIs, interleaved. */
  async function write(rounds: number, cis = 3) {
    for (let round = 0; round < rounds; round++) {
      for (let ci = 0; ci < cis; ci++) {
        clock.advance(1000);
        await commands.execute(
          {
            type: 'DeclareCi',
            ciId: `ci-${ci}`,
            desired: { type: 'server', name: `n${round}`, attributes: { round }, relationships: [] },
          },
          { metadata },
        );
      }
    }
    return eventStore.headPosition();
  }

  function relay(
    publisher: InMemoryPublisher,
    checkpoints: CheckpointStore = viewStore,
    logger = silentLogger,
    foldedCacheSize = 100,
  ) {
    return new RelayRunner(
      { eventStore, checkpoints, publisher, clock, logger },
      { batchSize: 4, pollIntervalMs: 10, retryDelayMs: 1, maxRetryDelayMs: 5, foldedCacheSize },
    );
  }

  async function until(condition: () => boolean | Promise<boolean>, what: string) {
    for (let i = 0; i < 500; i++) {
      if (await condition()) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  /** Every event exactly once after de-duplication on the event id, and per-CI revisions in order. */
  async function expectCompleteAndOrdered(items: readonly RelayItem[]) {
    const seen = new Set<string>();
    const firstDeliveries = items.filter((item) => !seen.has(item.change.eventId) && seen.add(item.change.eventId));
    const log = await eventStore.readAll(0, 10_000);
    expect(firstDeliveries.map((item) => item.change.eventId).sort()).toEqual(log.map((e) => e.id).sort());
    const byCi = new Map<string, number[]>();
    for (const item of items) byCi.set(item.change.ciId, [...(byCi.get(item.change.ciId) ?? []), item.change.revision]);
    for (const revisions of byCi.values()) {
      // Replays start again from the checkpoint, but never deliver a revision before an earlier one first.
      const firsts = revisions.filter((revision, index) => revisions.indexOf(revision) === index);
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    }
  }

  it('publishes every change in log order with its metadata, patch and the CI state after it', async () => {
    const head = await write(2);
    const publisher = new InMemoryPublisher();
    const runner = relay(publisher);
    await runner.start();
    await until(() => publisher.published.length === head, 'every event');
    const first = publisher.published[0]!;
    expect(first.change).toMatchObject({
      ciId: 'ci-0',
      ciType: 'server',
      revision: 1,
      position: 1,
      eventType: 'CiRegistered',
      actor: 'relay-test',
      reason: 'r',
      changeRef: 'CHG-1',
      correlationId: 'c',
    });
    expect(first.state).toEqual({
      id: 'ci-0',
      type: 'server',
      name: 'n0',
      status: 'live',
      attributes: { round: 0 },
      relationships: [],
      revision: 1,
      position: 1,
      recordedAt: first.change.recordedAt,
    });
    expect(publisher.published[3]!.change.patch).toEqual([
      { op: 'replace', path: '/name', value: 'n1' },
      { op: 'replace', path: '/attributes/round', value: 1 },
    ]);
    expect(publisher.published.map((item) => item.change.position)).toEqual([1, 2, 3, 4, 5, 6]);
    await until(async () => (await viewStore.loadCheckpoint('relay:memory')) === head, 'the checkpoint');
    await runner.stop();
    expect(publisher.closed).toBe(true);
  });

  it('reads only the log: publishes with the projections stopped, each state folded from the log, each change as the feed has it', async () => {
    await projections.stop();
    const head = await write(5, 4);
    const publisher = new InMemoryPublisher();
    // A cache of one CI: nearly every page folds its CIs from their streams.
    const runner = relay(publisher, viewStore, silentLogger, 1);
    await runner.start();
    await until(() => publisher.published.length === head, 'every event, with no projection running');
    await runner.stop();
    await projections.start();
    await projections.waitForPosition(head, 5000);
    const feed = await viewQueries(viewStore).listChanges({ order: 'oldest-first', limit: 1000 });
    expect(publisher.published.map(({ change: { eventId: _id, ...change } }) => change)).toEqual(feed);
    for (const { state } of publisher.published) {
      const version = await viewQueries(viewStore).getCiVersion(state.id, state.revision);
      expect(state).toEqual({
        id: state.id,
        ...version!.document,
        revision: version!.revision,
        position: version!.position,
        recordedAt: version!.validFrom,
      });
    }
  }, 20_000);

  it('follows new changes live and reports its lag', async () => {
    const publisher = new InMemoryPublisher();
    const runner = relay(publisher);
    await runner.start();
    const head = await write(3);
    await until(() => publisher.published.length === head, 'live events');
    await until(async () => (await runner.status()).lagEvents === 0, 'no lag');
    expect(await runner.status()).toMatchObject({
      publisher: 'memory',
      state: 'live',
      position: head,
      lagEvents: 0,
      lagSeconds: 0,
    });
    await runner.stop();
  });

  it('retries while the publisher fails, then delivers everything in order', async () => {
    const head = await write(3);
    const publisher = new InMemoryPublisher();
    publisher.failuresToCome = 4;
    const runner = relay(publisher);
    await runner.start();
    await until(() => publisher.published.length >= head, 'delivery after the outage');
    expect(publisher.attempts).toBeGreaterThan(4);
    await expectCompleteAndOrdered(publisher.published);
    expect(publisher.published).toHaveLength(head); // failed publishes delivered nothing here
    await runner.stop();
  });

  it('logs an outage once at error and once when it ends; the retries between at debug, counted', async () => {
    const head = await write(2);
    const publisher = new InMemoryPublisher();
    publisher.failuresToCome = 6;
    const lines: Array<{ level: number; msg: string; failedAttempts?: number }> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const runner = relay(publisher, viewStore, logger);
    await runner.start();
    await until(() => publisher.published.length >= head, 'delivery after the outage');
    await runner.stop();
    const ERROR = 50;
    const DEBUG = 20;
    expect(lines.filter((line) => line.level >= ERROR).map((line) => line.msg)).toEqual([
      expect.stringMatching(/^relay could not publish/),
    ]);
    expect(lines.filter((line) => line.level === DEBUG && line.msg === 'relay retry failed')).toHaveLength(5);
    expect(lines.find((line) => /publishing again after 6 failed attempts/.test(line.msg))).toMatchObject({
      failedAttempts: 6,
    });
  });

  it('re-publishes, and loses nothing, after a crash between publish and checkpoint', async () => {
    const head = await write(4);
    // The first relay "crashes" each time it tries to save its checkpoint after the first page.
    let saves = 0;
    const crashing: CheckpointStore = {
      loadCheckpoint: (name) => viewStore.loadCheckpoint(name),
      saveCheckpoint: async (name, position) => {
        saves += 1;
        if (saves > 1) throw new Error('process killed');
        return viewStore.saveCheckpoint(name, position);
      },
    };
    const publisher = new InMemoryPublisher();
    const first = relay(publisher, crashing);
    await first.start();
    await until(() => publisher.published.length >= 8, 'a published page whose checkpoint was lost');
    await first.stop();
    expect(await viewStore.loadCheckpoint('relay:memory')).toBe(4);

    // A new process resumes from the stored checkpoint.
    const second = relay(publisher);
    await second.start();
    await until(async () => (await viewStore.loadCheckpoint('relay:memory')) === head, 'the second relay to finish');
    await second.stop();
    const duplicates = publisher.published.length - head;
    expect(duplicates).toBeGreaterThan(0);
    await expectCompleteAndOrdered(publisher.published);
  });
});
