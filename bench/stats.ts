/** Small statistics for benchmark figures: each figure is a median over runs, with min and max. */

export interface Figure {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number[];
}

export function figure(runs: number[]): Figure {
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), min: sorted[0]!, max: sorted.at(-1)!, runs };
}

/** Nearest-rank percentile of already sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Runs two measurements alternately (so drift on a noisy machine hits both) and returns both figures. */
export async function paired(
  times: number,
  ours: (index: number) => Promise<number>,
  baseline: (index: number) => Promise<number>,
): Promise<{ ours: Figure; baseline: Figure; ratio: Figure }> {
  const a: number[] = [];
  const b: number[] = [];
  for (let index = 0; index < times; index++) {
    a.push(await ours(index));
    b.push(await baseline(index));
  }
  return { ours: figure(a), baseline: figure(b), ratio: figure(a.map((value, i) => value / b[i]!)) };
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface LatencyFigures {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * Times the operations in turn, one sample of each per round, so pauses (GC,
 * a noisy neighbour) fall on all of them alike rather than on whichever ran
 * during them: their ratio is the figure. A warm-up of up to 200 rounds first.
 */
export async function measureInTurn(
  samples: number,
  operations: readonly (() => Promise<unknown>)[],
): Promise<LatencyFigures[]> {
  for (let i = 0; i < Math.min(200, samples); i++) for (const run of operations) await run();
  const times = operations.map((): number[] => []);
  for (let i = 0; i < samples; i++) {
    for (const [index, run] of operations.entries()) {
      const start = nowMs();
      await run();
      times[index]!.push(nowMs() - start);
    }
  }
  return times.map(latencyOf);
}

/** The p50 and p99 of `times` (sorted here, in place). */
export function latencyOf(times: number[]): LatencyFigures {
  times.sort((a, b) => a - b);
  return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
}

/** A fixed-seed generator of numbers in [0, 1): every run of a benchmark asks the same questions. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}
