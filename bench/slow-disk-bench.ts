import { execFileSync } from 'node:child_process';
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { groupCommits, putRequest, registerAll, roundRobin, withService } from './http-bench';
import { load, type LoadFigures } from './http-load';
import { getRequest } from './http-read-bench';
import { nowMs, percentile } from './stats';

/** The LD_PRELOAD shim that makes every fsync of the service under test slower (its comment says how). */
const SHIM_SOURCE = path.resolve(__dirname, '../../bench/fsync-delay.c');

/** Connections of each of the two loads run at once: writes, and reads meanwhile. */
const CONNECTIONS = 8;

/**
 * Builds the fsync-delay shim into `dir` with the machine's C compiler, or
 * says why it cannot (then the section is skipped, and says so).
 */
export function buildFsyncDelay(dir: string): { readonly library: string } | { readonly unavailable: string } {
  if (process.platform !== 'linux') return { unavailable: 'the fsync-delay shim is an LD_PRELOAD library for Linux' };
  const library = path.join(dir, 'fsync-delay.so');
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', library, SHIM_SOURCE, '-ldl'], { stdio: 'pipe' });
    return { library };
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    return { unavailable: `cc could not build ${path.basename(SHIM_SOURCE)} (${reason}); install a C compiler` };
  }
}

/** This disk's own flush: the median of `samples` fdatasyncs, each after a 4 KiB write, in ms. */
export function fdatasyncMs(dir: string, samples = 200): number {
  const file = path.join(dir, 'fsync-probe');
  const fd = openSync(file, 'w');
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      writeSync(fd, Buffer.alloc(4096, i % 256), 0, 4096, (i % 16) * 4096);
      const start = nowMs();
      fdatasyncSync(fd);
      times.push(nowMs() - start);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

export interface SlowDiskFigures {
  readonly puts: LoadFigures;
  /** GETs of one CI, answered while the PUTs ran. */
  readonly gets: LoadFigures;
  /** Events per commit of the log while both ran (its group commit), from the service's own metrics. */
  readonly eventsPerCommit: number;
}

/**
 * The service with every fsync and fdatasync `delayMs` slower (the shim
 * preloaded, 0: this disk as it is): PUTs of changes to `cis` CIs on 8
 * connections and, at the same time, GETs of one CI on 8 more, for `seconds`.
 */
export async function slowDiskRun(
  library: string,
  delayMs: number,
  seconds: number,
  cis: number,
): Promise<SlowDiskFigures> {
  const env = { LD_PRELOAD: library, FSYNC_DELAY_US: String(Math.round(delayMs * 1000)) };
  return withService(
    async (service) => {
      await registerAll(service.url, cis);
      const before = await groupCommits(service.url);
      const [puts, gets] = await Promise.all([
        load(service, seconds, [putRequest(roundRobin(cis))], CONNECTIONS),
        load(
          service,
          seconds,
          [getRequest(Array.from({ length: cis }, (_, i) => `/api/v1/cis/bench-${i}`))],
          CONNECTIONS,
        ),
      ]);
      const after = await groupCommits(service.url);
      return { puts, gets, eventsPerCommit: (after.sum - before.sum) / (after.count - before.count) };
    },
    undefined,
    undefined,
    'full',
    env,
  );
}
