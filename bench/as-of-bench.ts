import path from 'node:path';
import { pino } from 'pino';
import { allProjections } from '../projections';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../src/adapters/view-store/sqlite-view-store';
import { CiQueries } from '../src/application/ci-queries';
import { GraphQueries } from '../src/application/graph-queries';
import { ProjectionRunner } from '../src/runtime/projection-runner';
import { BASE_TIME, recordedAtOf } from './log-generator';
import { measureInTurn, seededRandom } from './stats';

export type { LatencyFigures } from './stats';
import type { LatencyFigures } from './stats';

/**
 * Single-CI reads compared in turn (as of T against now, incoming edges against now): at 0.05 ms a read
 * their samples are cheap, and a p99 of fewer is decided by a handful of reads that a collection or
 * the other core happened to fall on (quick mode's 500 samples made its p99 the fifth-slowest read).
 */
export const SINGLE_CI_SAMPLES = 5000;

/**
 * Latency of the read paths, in-process through CiQueries (read-your-writes lookup included):
 * `samples` of each page and walk, SINGLE_CI_SAMPLES of each single-CI read.
 */
export async function asOfLatencies(dir: string, cis: number, rounds: number, samples: number) {
  const eventStore = new SqliteEventStore({ filename: path.join(dir, 'events.db') });
  const viewStore = new SqliteViewStore({ filename: path.join(dir, 'views.db'), views: allProjections });
  const runner = new ProjectionRunner(eventStore, viewStore, allProjections, pino({ level: 'silent' }));
  await runner.start();
  await runner.waitForPosition(await eventStore.headPosition(), 60_000);
  const reads = { eventStore, viewStore, progress: runner, readWaitMs: 5000 };
  const queries = new CiQueries(reads);
  const graph = new GraphQueries(reads);
  // A fixed-seed generator, so every run asks the same questions.
  const random = seededRandom(42);
  const randomCi = () => `ci-${Math.floor(random() * cis)}`;
  const randomInstant = () =>
    BASE_TIME + Math.floor(random() * (recordedAtOf(rounds - 1, cis - 1) - BASE_TIME + 3_600_000));

  const measure = (...operations: (() => Promise<unknown>)[]) => measureInTurn(samples, operations);
  const measureSingle = (...operations: (() => Promise<unknown>)[]) =>
    measureInTurn(Math.max(samples, SINGLE_CI_SAMPLES), operations);

  const [current, asOfSingle] = (await measureSingle(
    () => queries.current(randomCi()),
    () => queries.at(randomCi(), { asOf: randomInstant() }),
  )) as [LatencyFigures, LatencyFigures];
  const [inventoryPage] = (await measure(() =>
    queries.list({ includeRetired: false, limit: 100, afterCiId: randomCi() }, randomInstant(), undefined),
  )) as [LatencyFigures];
  // The graph: who depends on a CI (incoming edges, now) against a single-CI read, interleaved; then
  // impact at depth 5 as of a past instant, both ways.
  const [currentAgain, incoming] = (await measureSingle(
    () => queries.current(randomCi()),
    () => graph.relationships(randomCi(), undefined, 'in'),
  )) as [LatencyFigures, LatencyFigures];
  let reachedTotal = 0;
  const impactOf = (direction: 'dependents' | 'dependencies') => async () => {
    const impact = await graph.impact(randomCi(), {
      asOf: randomInstant(),
      direction,
      depth: 5,
      types: undefined,
      includeRetired: false,
      limit: 10_000,
    });
    reachedTotal += impact?.items.length ?? 0;
  };
  const [impactDependents, impactDependencies] = (await measure(impactOf('dependents'), impactOf('dependencies'))) as [
    LatencyFigures,
    LatencyFigures,
  ];
  const impactReachedMean = reachedTotal / (2 * (samples + Math.min(200, samples)));
  await runner.stop();
  await eventStore.close();
  await viewStore.close();
  return {
    current,
    asOfSingle,
    inventoryPage,
    currentAgain,
    incoming,
    impactDependents,
    impactDependencies,
    impactReachedMean,
  };
}
