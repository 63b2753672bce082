import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { benchDependencyAvailable, benchRequire } from './bench-deps';
import { cpuPerRequest, sampleCpu, type CpuPerRequest } from './process-cpu';
import { percentile } from './stats';

/** One request autocannon sends: its setupRequest picks the path and body per request. */
export interface LoadRequest {
  readonly method: string;
  readonly headers?: Record<string, string>;
  setupRequest(request: { path: string; body?: string; method?: string }): object;
}

interface AutocannonResult {
  requests: { total: number };
  non2xx: number;
  errors: number;
}
interface AutocannonRun extends PromiseLike<AutocannonResult> {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (options: object) => AutocannonRun;

export function autocannonAvailable(): boolean {
  return benchDependencyAvailable('autocannon');
}

export interface Target {
  readonly child: ChildProcess;
  readonly url: string;
}

/**
 * Forks a bench target (a compiled script beside this one) and waits for the
 * port it reports; `env`, when given, is added to this process's environment.
 */
export async function startTarget(script: string, args: string[] = [], env?: NodeJS.ProcessEnv): Promise<Target> {
  const child = fork(path.join(__dirname, script), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(env && { env: { ...process.env, ...env } }),
  });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { child, url: `http://127.0.0.1:${message.port}` };
}

export async function stopTarget(target: Target): Promise<void> {
  const exited = once(target.child, 'exit');
  target.child.send('stop');
  await exited;
}

export interface LoadFigures {
  readonly requestsPerSecond: number;
  /** Of every answer, from autocannon's own per-request timer (sub-millisecond, unlike its summary's). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The target process's CPU per request, where /proc can tell. */
  readonly cpu?: CpuPerRequest;
}

/**
 * 16 connections for `seconds`; refuses a run with any non-2xx answer or
 * error (a benchmark of failures measures nothing).
 */
export async function load(
  target: Target,
  seconds: number,
  requests: readonly LoadRequest[],
  connections = 16,
): Promise<LoadFigures> {
  const autocannon = benchRequire('autocannon') as Autocannon;
  const { url } = target;
  const latencies: number[] = [];
  const { pid } = target.child;
  const sample = () => (pid === undefined ? undefined : sampleCpu(pid));
  const before = sample();
  const run = autocannon({ url, connections, duration: seconds, requests });
  run.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  const result = await run;
  const cpu = cpuPerRequest(before, sample(), result.requests.total);
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`load on ${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: result.requests.total / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ...(cpu && { cpu }),
  };
}
