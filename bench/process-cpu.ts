import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time a process spent, read from Linux's /proc: its main thread apart
 * (the event loop that serves requests) from all its threads (worker threads,
 * the garbage collector's helpers), and how busy the whole machine was. On
 * two cores the service, its projection worker and the load generator share
 * the machine: these say where a request's CPU goes. Undefined where there is
 * no /proc.
 */
export interface CpuSample {
  readonly mainMs: number;
  readonly allMs: number;
  /** All cores, in clock ticks: busy (neither idle nor waiting on the disk) and in all. */
  readonly machineBusy: number;
  readonly machineTotal: number;
}

/** What a load cost, per request, from two samples around it. */
export interface CpuPerRequest {
  /** Microseconds of the main thread's CPU per request answered. */
  readonly mainUs: number;
  /** Microseconds of all the process's threads. */
  readonly allUs: number;
  /** Share of the machine's cores busy meanwhile, 0–1. */
  readonly machineBusy: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

export function sampleCpu(pid: number): CpuSample | undefined {
  try {
    let mainMs = 0;
    let allMs = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const ms = threadCpuMs(`/proc/${pid}/task/${tid}/stat`);
      allMs += ms;
      if (Number(tid) === pid) mainMs = ms;
    }
    // The first line: cpu user nice system idle iowait irq softirq steal …
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const machineTotal = ticks.reduce((sum, tick) => sum + tick, 0);
    const machineBusy = machineTotal - ticks[3]! - ticks[4]!;
    return { mainMs, allMs, machineBusy, machineTotal };
  } catch {
    return undefined; // no /proc (not Linux), or the process is gone
  }
}

export function cpuPerRequest(
  before: CpuSample | undefined,
  after: CpuSample | undefined,
  requests: number,
): CpuPerRequest | undefined {
  if (!before || !after || requests === 0) return undefined;
  return {
    mainUs: ((after.mainMs - before.mainMs) * 1000) / requests,
    allUs: ((after.allMs - before.allMs) * 1000) / requests,
    machineBusy: (after.machineBusy - before.machineBusy) / (after.machineTotal - before.machineTotal),
  };
}

/** utime + stime of one thread, fields 14 and 15 of its stat line (after the parenthesised name). */
function threadCpuMs(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
