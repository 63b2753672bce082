import path from 'node:path';
import { pino } from 'pino';
import { allProjections } from '../projections';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../src/adapters/view-store/sqlite-view-store';
import { CiQueries } from '../src/application/ci-queries';
import { ProjectionRunner } from '../src/runtime/projection-runner';
import { BASE_TIME, recordedAtOf } from './log-generator';
import { nowMs, percentile } from './stats';

export interface LatencyFigures {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Latency of the read paths, in-process through CiQueries (read-your-writes lookup included). */
export async function asOfLatencies(dir: string, cis: number, rounds: number, samples: number) {
  const eventStore = new SqliteEventStore({ filename: path.join(dir, 'events.db') });
  const viewStore = new SqliteViewStore({ filename: path.join(dir, 'views.db') });
  const runner = new ProjectionRunner(eventStore, viewStore, allProjections, pino({ level: 'silent' }));
  await runner.start();
  await runner.waitForPosition(await eventStore.headPosition(), 60_000);
  const queries = new CiQueries({ eventStore, viewStore, progress: runner, readWaitMs: 5000 });
  // A fixed-seed generator, so every run asks the same questions.
  let seed = 42;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const randomCi = () => `ci-${Math.floor(random() * cis)}`;
  const randomInstant = () =>
    BASE_TIME + Math.floor(random() * (recordedAtOf(rounds - 1, cis - 1) - BASE_TIME + 3_600_000));

  async function measure(run: () => Promise<unknown>): Promise<LatencyFigures> {
    for (let i = 0; i < Math.min(200, samples); i++) await run(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const start = nowMs();
      await run();
      times.push(nowMs() - start);
    }
    times.sort((a, b) => a - b);
    return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
  }

  const current = await measure(() => queries.current(randomCi()));
  const asOfSingle = await measure(() => queries.at(randomCi(), { asOf: randomInstant() }));
  const inventoryPage = await measure(() =>
    queries.list({ includeRetired: false, limit: 100, afterCiId: randomCi() }, randomInstant(), undefined),
  );
  await runner.stop();
  await eventStore.close();
  await viewStore.close();
  return { current, asOfSingle, inventoryPage };
}
