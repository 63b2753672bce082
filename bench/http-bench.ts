import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serverAttributes, serverDocument } from './fixtures';
import { load, startTarget, stopTarget, type LoadFigures, type LoadRequest, type Target } from './http-load';

export { autocannonAvailable } from './http-load';

/** Which CI a request goes to: its id and its index in the fixtures. */
export type PickCi = (counter: number) => { readonly id: string; readonly index: number };

/** Round robin over `bench-0` … `bench-{cis-1}`, the CIs registerAll made. */
export const roundRobin =
  (cis: number): PickCi =>
  (counter) => ({ id: `bench-${counter % cis}`, index: counter % cis });

/**
 * PUTs of full server documents, each a real change (a new kernel and
 * lastSeen), the n-th to a CI being its fixture's change n after the
 * registration (change 0): its relationships are re-pointed at the fixture's
 * pace (one every third change, another every fifth), as an estate's are.
 */
export function putRequest(pick: PickCi, estate?: number): LoadRequest {
  let counter = 0;
  // Counted per CI: a change number shared by all CIs moved every CI's relationships at every PUT.
  const changes = new Map<number, number>();
  return {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-actor': 'discovery' },
    setupRequest: (request) => {
      counter += 1;
      const { id, index } = pick(counter);
      const change = (changes.get(index) ?? 0) + 1;
      changes.set(index, change);
      return Object.assign(request, {
        method: 'PUT',
        path: `/api/v1/cis/${id}`,
        body: JSON.stringify(serverDocument(index, change, estate)),
      });
    },
  };
}

/** PATCHes (merge patch) of a few attributes of existing servers. */
export function patchRequest(pick: PickCi): LoadRequest {
  let counter = 0;
  return {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json', 'x-actor': 'discovery' },
    setupRequest: (request) => {
      counter += 1;
      const { id, index } = pick(counter);
      const { kernel, lastSeen, memoryGb } = serverAttributes(index, 1_000 + counter);
      return Object.assign(request, {
        method: 'PATCH',
        path: `/api/v1/cis/${id}`,
        body: JSON.stringify({ attributes: { kernel, lastSeen, memoryGb } }),
      });
    },
  };
}

export type HttpMethodUnderTest = 'PUT' | 'PATCH';

/**
 * PUTs every CI once (`round` of its fixture), 16 at a time, and checks each
 * answer: the timed phases start only when every target exists (a timed
 * burst did not always reach them all on a busy machine, and PATCHes then
 * met 404s).
 */
export async function registerAll(url: string, cis: number, round = 0): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < cis; index = next++) {
      const res = await fetch(`${url}/api/v1/cis/bench-${index}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-actor': 'discovery' },
        body: JSON.stringify(serverDocument(index, round)),
      });
      if (!res.ok) throw new Error(`registering bench-${index} on ${url}: HTTP ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/**
 * The service as `npm start` runs it, on a data directory of its own (or the
 * one given), stopped and removed after `use`; its log silent unless a level
 * is given, every commit fsynced unless `synchronous` is 'normal', and `env`
 * added to its environment.
 */
export async function withService<T>(
  use: (service: Target) => Promise<T>,
  dataDir?: string,
  logLevel?: string,
  synchronous: 'full' | 'normal' = 'full',
  env?: NodeJS.ProcessEnv,
): Promise<T> {
  const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'cl-bench-http-'));
  try {
    const service = await startTarget('http-target-service.js', [dir, logLevel ?? 'silent', synchronous], env);
    try {
      return await use(service);
    } finally {
      await stopTarget(service);
    }
  } finally {
    if (!dataDir) rmSync(dir, { recursive: true, force: true });
  }
}

/** The bare express endpoint, given the bodies it is to answer GETs with. */
export async function withBare<T>(bodies: Map<string, unknown>, use: (bare: Target) => Promise<T>): Promise<T> {
  const bare = await startTarget('http-target-bare.js');
  try {
    if (bodies.size > 0) {
      const stored = once(bare.child, 'message');
      bare.child.send({ bodies: [...bodies] });
      await stored;
    }
    return await use(bare);
  } finally {
    await stopTarget(bare);
  }
}

/** The sum and count of the service's group-commit histogram (configledger_group_commit_events). */
export async function groupCommits(url: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (suffix: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`configledger_group_commit_events_${suffix} `));
    if (line === undefined) throw new Error(`GET /metrics has no configledger_group_commit_events_${suffix}`);
    return Number(line.split(' ')[1]);
  };
  return { sum: value('sum'), count: value('count') };
}

/** A paired run of a write workload: each side's figures, and the service's events per commit of its log. */
export interface WriteRun {
  readonly ours: LoadFigures;
  readonly bare: LoadFigures;
  /** Events per group commit while the service's load ran (its own metrics). */
  readonly eventsPerCommit: number;
}

/**
 * One paired run of a write workload: the service (its request log at
 * `logLevel`, silent unless given; SQLite's `synchronous`, 'full' unless
 * given) and the bare endpoint, one after the other, each on `connections`
 * connections (16 unless given).
 */
export async function httpRun(
  method: HttpMethodUnderTest,
  durationSeconds: number,
  cis: number,
  logLevel?: string,
  synchronous?: 'full' | 'normal',
  connections = 16,
): Promise<WriteRun> {
  const request = () => (method === 'PUT' ? putRequest(roundRobin(cis)) : patchRequest(roundRobin(cis)));
  const { ours, eventsPerCommit } = await withService(
    async (service) => {
      // Register every CI first, so PATCH has targets and PUT measures changes, not creations.
      await registerAll(service.url, cis);
      const before = await groupCommits(service.url);
      const figures = await load(service, durationSeconds, [request()], connections);
      const after = await groupCommits(service.url);
      return { ours: figures, eventsPerCommit: (after.sum - before.sum) / (after.count - before.count) };
    },
    undefined,
    logLevel,
    synchronous,
  );
  const bare = await withBare(new Map(), (target) => load(target, durationSeconds, [request()], connections));
  return { ours, bare, eventsPerCommit };
}
