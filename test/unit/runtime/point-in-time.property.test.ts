import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { allProjections } from '../../../projections';
import { SqliteEventStore } from '../../../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../../../src/adapters/view-store/sqlite-view-store';
import { toRecordedCiEvent } from '../../../src/application/ci-event-codec';
import { CiCommandHandler } from '../../../src/application/ci-command-handler';
import {
  CiNotFoundError,
  CiRulesViolatedError,
  ciStreamName,
  foldCi,
  type CiCommand,
  type ChangeMetadata,
} from '../../../src/domain';
import { ProjectionRunner } from '../../../src/runtime/projection-runner';
import { rebuildViews } from '../../../src/runtime/rebuild-views';
import { ciDocumentArb } from '../../support/arbitraries';
import { dumpViews } from '../../support/dump-views';
import { TestClock } from '../../support/test-clock';
import { silentLogger } from '../../support/test-service';
import { viewQueries } from '../../support/view-queries';

const DECLARED = { type: 'server', name: 'first', status: 'live' as const, attributes: {}, relationships: [] };
const metadata: ChangeMetadata = { actor: 'prop', reason: null, changeRef: null, source: 'api', correlationId: null };
const ciIds = ['a', 'b', 'c'];

/** A step of a random history: a clock move (possibly backwards) then a command. */
const stepArb = fc.record({
  clockMoveMs: fc.integer({ min: -5_000, max: 60_000 }),
  ciId: fc.constantFrom(...ciIds),
  command: fc.oneof(
    ciDocumentArb.map((desired) => ({ type: 'DeclareCi' as const, desired })),
    fc.constant({ type: 'RetireCi' as const }),
    fc
      .record({ name: fc.string({ minLength: 1, maxLength: 6 }) })
      .map((mergePatch) => ({ type: 'PatchCi' as const, mergePatch })),
  ),
});

type Step = typeof stepArb extends fc.Arbitrary<infer S> ? S : never;

/** A history that starts by registering a CI, so that it always appends something. */
const historyArb = fc
  .tuple(
    stepArb.map((step): Step => ({ ...step, command: { type: 'DeclareCi', desired: DECLARED } })),
    fc.array(stepArb, { maxLength: 24 }),
  )
  .map(([first, rest]) => [first, ...rest]);

async function play(steps: Step[]) {
  const eventStore = new SqliteEventStore({ filename: ':memory:' });
  const clock = new TestClock();
  const commands = new CiCommandHandler({ eventStore, clock, newEventId: randomUUID });
  for (const step of steps) {
    clock.advance(step.clockMoveMs);
    const command = { ...step.command, ciId: step.ciId } as CiCommand;
    // Commands on CIs not registered yet are refused, and so are lifecycle moves the rules forbid
    // (out of disposed, retired → live); both are part of a random history. Any other refusal is
    // a defect, and fails the property.
    await commands.execute(command, { metadata }).catch((error: unknown) => {
      if (!(error instanceof CiNotFoundError || isLifecycleRefusal(error))) throw error;
    });
  }
  // Never vacuous: the first step registers a CI, so a decide that appended nothing would show here.
  expect(await eventStore.headPosition()).toBeGreaterThan(0);
  return eventStore;
}

async function project(eventStore: SqliteEventStore, batchSize: number) {
  const viewStore = new SqliteViewStore({ filename: ':memory:', views: allProjections });
  const runner = new ProjectionRunner(eventStore, viewStore, allProjections, silentLogger, {
    batchSize,
    pollIntervalMs: 5,
  });
  await runner.start();
  await runner.waitForPosition(await eventStore.headPosition(), 5000);
  await runner.stop();
  return viewStore;
}

describe('point in time, for random histories', () => {
  it('the versions view as of T equals folding the stream up to T', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyArb,
        fc.array(fc.integer({ min: -10_000, max: 1_600_000 }), { minLength: 5, maxLength: 5 }),
        async (steps, offsets) => {
          const eventStore = await play(steps);
          const viewStore = await project(eventStore, 7);
          const start = Date.parse('2026-01-01T00:00:00.000Z');
          for (const ciId of ciIds) {
            const history = (await eventStore.readStream(ciStreamName(ciId))).map(toRecordedCiEvent);
            // Recorded times never go backwards, whatever the clock did.
            const times = history.map((e) => Date.parse(e.recordedAt));
            expect(times).toEqual([...times].sort((x, y) => x - y));
            expect(new Set(times).size).toBe(times.length);
            const instants = [...offsets.map((o) => start + o), ...times, ...times.map((t) => t - 1)];
            for (const at of instants) {
              const folded = foldCi(history.filter((e) => Date.parse(e.recordedAt) <= at));
              const version = await viewQueries(viewStore).getCiVersionAt(ciId, at);
              expect(version?.document).toEqual(folded.document);
              expect(version?.revision).toEqual(folded.document ? folded.revision : undefined);
              const inventory = await viewQueries(viewStore).listCiVersionsAt(at, {
                includeRetired: true,
                limit: 1000,
              });
              expect(inventory.find((v) => v.ciId === ciId)?.document).toEqual(folded.document);
            }
          }
          await eventStore.close();
          await viewStore.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('replaying the log into fresh views gives the same views, whatever the page size', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, fc.integer({ min: 1, max: 30 }), async (steps, batchSize) => {
        const eventStore = await play(steps);
        const first = await project(eventStore, 1000);
        const second = await project(eventStore, batchSize);
        expect(await dumpViews(second)).toEqual(await dumpViews(first));
        await Promise.all([eventStore.close(), first.close(), second.close()]);
      }),
      { numRuns: 30 },
    );
  });

  it('a bulk rebuild (read by stream) gives the views the live runner built, as of every instant', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyArb,
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 10 }),
        async (steps, pageSize, flushSize) => {
          const eventStore = await play(steps);
          const live = await project(eventStore, 7);
          // Small flushes: a CI's rows are inserted, then replaced by a later flush.
          const rebuilt = new SqliteViewStore({
            filename: ':memory:',
            bulkLoadFlushSize: flushSize,
            views: allProjections,
          });
          await rebuildViews({
            eventStore,
            viewStore: rebuilt,
            projections: allProjections,
            logger: silentLogger,
            batchSize: pageSize,
          });
          expect(await dumpViews(rebuilt)).toEqual(await dumpViews(live));
          expect(await rebuilt.readCheckpoints()).toEqual(await live.readCheckpoints());
          for (const event of await eventStore.readAll(0, 1000)) {
            const at = Date.parse(event.recordedAt);
            const query = { includeRetired: true, limit: 1000 };
            expect(await viewQueries(rebuilt).listCiVersionsAt(at, query)).toEqual(
              await viewQueries(live).listCiVersionsAt(at, query),
            );
          }
          await Promise.all([eventStore.close(), live.close(), rebuilt.close()]);
        },
      ),
      { numRuns: 30 },
    );
  });
});

function isLifecycleRefusal(error: unknown): boolean {
  return error instanceof CiRulesViolatedError && error.issues.every((issue) => issue.field === 'status');
}
