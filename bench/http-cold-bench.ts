import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { allProjections } from '../projections';
import { SqliteEventStore } from '../src/adapters/event-store/sqlite-event-store';
import { SqliteViewStore } from '../src/adapters/view-store/sqlite-view-store';
import { rebuildViews } from '../src/runtime/rebuild-views';
import { patchRequest, putRequest, withBare, withService, type HttpMethodUnderTest, type PickCi } from './http-bench';
import { load, type LoadFigures } from './http-load';
import { generateLog } from './log-generator';
import { seededRandom } from './stats';

/** CIs picked at random from all of them: with 100,000, nearly every write finds its CI outside every cache. */
const randomCi = (cis: number, seed: number): PickCi => {
  const random = seededRandom(seed);
  return () => {
    const index = Math.floor(random() * cis);
    return { id: `ci-${index}`, index };
  };
};

/**
 * Writes with a working set larger than the caches: a log of `cis` registered
 * CIs (written through the event store, its views bulk-built), then the
 * service started on it as `npm start` runs, and writes to CIs picked at
 * random; the bare endpoint takes the same requests.
 */
export async function httpColdRun(
  method: HttpMethodUnderTest,
  seconds: number,
  cis: number,
  seed: number,
): Promise<{ ours: LoadFigures; bare: LoadFigures }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cl-bench-cold-'));
  try {
    await generateLog(dir, cis, 1, () => undefined);
    const eventStore = new SqliteEventStore({ filename: path.join(dir, 'events.db') });
    const viewStore = new SqliteViewStore({ filename: path.join(dir, 'views.db'), views: allProjections });
    await rebuildViews({ eventStore, viewStore, projections: allProjections, logger: pino({ level: 'silent' }) });
    await eventStore.close();
    await viewStore.close();
    const request = () => (method === 'PUT' ? putRequest(randomCi(cis, seed), cis) : patchRequest(randomCi(cis, seed)));
    const ours = await withService((service) => load(service, seconds, [request()]), dir);
    const bare = await withBare(new Map(), (target) => load(target, seconds, [request()]));
    return { ours, bare };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
