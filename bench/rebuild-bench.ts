import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

export interface ChildResult {
  readonly eventsPerSecond: number;
  /** Events per second of the one writer's own time (a rebuild's ceiling, however it projects); rebuilds only. */
  readonly writerEventsPerSecond?: number;
  /** CPU of all the rebuild's threads per event, in µs; rebuilds only. */
  readonly cpuPerEventUs?: number;
  /** That CPU over the rebuild's wall time: how many cores it kept busy on average; rebuilds only. */
  readonly coresBusy?: number;
  readonly maxRssMb: number;
}

/** Runs rebuild-child in a fresh process and returns what it measured. */
export async function runChild(
  dir: string,
  mode: 'raw' | 'rebuild',
  viewsFile = 'views.db',
  /** The views to rebuild; every view when absent. */
  views?: readonly string[],
  /** Worker threads; `npm run rebuild-views`'s default (one per core up to four) when absent. */
  threads?: number,
): Promise<ChildResult> {
  const child = fork(
    path.join(__dirname, 'rebuild-child.js'),
    [dir, mode, viewsFile, views ? views.join(',') : 'all', ...(threads ? [String(threads)] : [])],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const [[result]] = await Promise.all([once(child, 'message') as Promise<[ChildResult]>, once(child, 'exit')]);
  return result;
}
