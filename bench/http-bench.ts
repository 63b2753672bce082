import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchDependencyAvailable, benchRequire } from './bench-deps';
import { serverAttributes, serverDocument } from './fixtures';

interface AutocannonResult {
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
  duration: number;
}
type Autocannon = (options: object) => Promise<AutocannonResult>;

export function autocannonAvailable(): boolean {
  return benchDependencyAvailable('autocannon');
}

async function startTarget(script: string, args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(path.join(__dirname, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { child, url: `http://127.0.0.1:${message.port}` };
}

async function stopTarget(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.send('stop');
  await exited;
}

/** 16 clients PUT full documents of `cis` servers, each request a real change (a new kernel and lastSeen). */
function putRequests(cis: number) {
  let counter = 0;
  return [
    {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-actor': 'discovery' },
      setupRequest: (request: { path: string; body: string }) => {
        counter += 1;
        const index = counter % cis;
        request.path = `/api/v1/cis/bench-${index}`;
        request.body = JSON.stringify(serverDocument(index, counter));
        return request;
      },
    },
  ];
}

/** 16 clients PATCH a few attributes of existing servers. */
function patchRequests(cis: number) {
  let counter = 0;
  return [
    {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json', 'x-actor': 'discovery' },
      setupRequest: (request: { path: string; body: string }) => {
        counter += 1;
        const index = counter % cis;
        const { kernel, lastSeen, memoryGb } = serverAttributes(index, counter);
        request.path = `/api/v1/cis/bench-${index}`;
        request.body = JSON.stringify({ attributes: { kernel, lastSeen, memoryGb } });
        return request;
      },
    },
  ];
}

export type HttpMethodUnderTest = 'PUT' | 'PATCH';

/** Requests per second for one target; refuses a run with any non-2xx answer or error. */
async function load(url: string, method: HttpMethodUnderTest, durationSeconds: number, cis: number): Promise<number> {
  const autocannon = benchRequire('autocannon') as Autocannon;
  const result = await autocannon({
    url,
    connections: 16,
    duration: durationSeconds,
    requests: method === 'PUT' ? putRequests(cis) : patchRequests(cis),
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${method} load on ${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  }
  return result.requests.total / durationSeconds;
}

/**
 * PUTs every CI once, 16 at a time, and checks each answer: the timed phases
 * start only when every target exists (a timed burst did not always reach
 * them all on a busy machine, and PATCHes then met 404s).
 */
async function registerAll(url: string, cis: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < cis; index = next++) {
      const res = await fetch(`${url}/api/v1/cis/bench-${index}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-actor': 'discovery' },
        body: JSON.stringify(serverDocument(index, 0)),
      });
      if (!res.ok) throw new Error(`registering bench-${index} on ${url}: HTTP ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** One paired run: the service and the bare endpoint, one after the other, same workload. */
export async function httpRun(
  method: HttpMethodUnderTest,
  durationSeconds: number,
  cis: number,
): Promise<{ ours: number; bare: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cl-bench-http-'));
  try {
    const service = await startTarget('http-target-service.js', [dir]);
    let ours: number;
    try {
      // Register every CI first, so PATCH has targets and PUT measures changes, not creations.
      await registerAll(service.url, cis);
      ours = await load(service.url, method, durationSeconds, cis);
    } finally {
      await stopTarget(service.child);
    }
    const bare = await startTarget('http-target-bare.js');
    try {
      return { ours, bare: await load(bare.url, method, durationSeconds, cis) };
    } finally {
      await stopTarget(bare.child);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
