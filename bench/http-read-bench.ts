import { setTimeout as sleep } from 'node:timers/promises';
import { patchRequest, registerAll, roundRobin, withBare, withService } from './http-bench';
import { load, type LoadFigures, type LoadRequest } from './http-load';

/**
 * The reads compared with bare express: one CI now, one CI as of an instant,
 * a page of the inventory now and as of an instant (an auditor's question),
 * a CI's history.
 */
export const READ_WORKLOADS = ['current', 'as-of', 'list', 'list-as-of', 'history'] as const;
export type ReadWorkload = (typeof READ_WORKLOADS)[number];

/** The reads the mixed load takes turns at, as its figures' name says. */
const MIXED_READS = ['current', 'as-of', 'list', 'history'] as const;

export interface ReadFigures {
  readonly ours: Record<ReadWorkload | 'mixed', LoadFigures>;
  readonly bare: Record<ReadWorkload | 'mixed', LoadFigures>;
}

/** GETs of the given URLs in turn. */
export function getRequest(urls: readonly string[]): LoadRequest {
  let counter = 0;
  return {
    method: 'GET',
    setupRequest: (request) => Object.assign(request, { method: 'GET', path: urls[counter++ % urls.length]! }),
  };
}

/** Four reads (one of each workload in turn) to one PATCH, as a console and a discovery feed together would ask. */
function mixedRequest(urls: Record<ReadWorkload, readonly string[]>, cis: number): LoadRequest {
  const patch = patchRequest(roundRobin(cis));
  const gets = MIXED_READS.map((workload) => getRequest(urls[workload]));
  let counter = 0;
  return {
    method: 'GET',
    setupRequest: (request) => {
      const turn = counter++ % 5;
      if (turn === 4) return patch.setupRequest(Object.assign(request, { headers: patch.headers }));
      return gets[turn]!.setupRequest(Object.assign(request, { headers: {}, body: undefined }));
    },
  };
}

/** Waits until the views answer with every CI's second revision (the projections run in a worker). */
async function untilProjected(url: string, cis: number): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const res = await fetch(`${url}/api/v1/cis/bench-${cis - 1}`);
    if (res.ok && ((await res.json()) as { revision: number }).revision === 2) return;
    await sleep(100);
  }
  throw new Error('the views did not catch up within a minute');
}

/** The URLs of each read workload, and the body the service answered at each (what the bare endpoint serves). */
async function capture(url: string, cis: number, asOf: string) {
  const byIndex = (path: (id: string) => string) => Array.from({ length: cis }, (_, i) => path(`bench-${i}`));
  const urls: Record<ReadWorkload, string[]> = {
    current: byIndex((id) => `/api/v1/cis/${id}`),
    'as-of': byIndex((id) => `/api/v1/cis/${id}?asOf=${asOf}`),
    list: [],
    'list-as-of': [],
    history: byIndex((id) => `/api/v1/cis/${id}/history`),
  };
  const bodies = new Map<string, unknown>();
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as unknown;
    bodies.set(path, body);
    return body;
  };
  // The inventory in pages of 100, now and as of the instant between the two revisions, following the cursors.
  for (const [workload, first] of [
    ['list', '/api/v1/cis?limit=100'],
    ['list-as-of', `/api/v1/cis?limit=100&asOf=${asOf}`],
  ] as const) {
    for (let path: string | null = first; path;) {
      urls[workload].push(path);
      const { nextCursor } = (await get(path)) as { nextCursor: string | null };
      path = nextCursor ? `${first}&cursor=${encodeURIComponent(nextCursor)}` : null;
    }
  }
  for (const workload of ['current', 'as-of', 'history'] as const) for (const path of urls[workload]) await get(path);
  return { urls, bodies };
}

/**
 * One run: `cis` CIs of two revisions each in the real service; each read
 * workload, then the mixed one, for `seconds` on the service and on a bare
 * express endpoint answering the same bodies from memory.
 */
export async function httpReadRun(seconds: number, cis: number): Promise<ReadFigures> {
  return withService(async (service) => {
    await registerAll(service.url, cis, 0);
    const asOf = new Date().toISOString();
    await sleep(5);
    await registerAll(service.url, cis, 1);
    await untilProjected(service.url, cis);
    const { urls, bodies } = await capture(service.url, cis, asOf);
    return withBare(bodies, async (bare) => {
      const ours = {} as Record<ReadWorkload | 'mixed', LoadFigures>;
      const baseline = {} as Record<ReadWorkload | 'mixed', LoadFigures>;
      for (const workload of READ_WORKLOADS) {
        ours[workload] = await load(service, seconds, [getRequest(urls[workload])]);
        baseline[workload] = await load(bare, seconds, [getRequest(urls[workload])]);
      }
      ours.mixed = await load(service, seconds, [mixedRequest(urls, cis)]);
      baseline.mixed = await load(bare, seconds, [mixedRequest(urls, cis)]);
      return { ours, bare: baseline };
    });
  });
}
