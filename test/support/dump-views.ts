import type { ViewStore } from '../../src/ports/view-store';
import { viewQueries } from './view-queries';

/** Everything a view store holds, in a comparable shape (small test data sets only). */
export async function dumpViews(store: ViewStore) {
  const views = viewQueries(store);
  const currentCis = await views.listCurrentCis({ includeRetired: true, limit: 1000 });
  const ciVersions = [];
  for (const ci of currentCis) {
    for (let revision = 1; revision <= ci.revision; revision++)
      ciVersions.push(await views.getCiVersion(ci.ciId, revision));
  }
  const changeFeed = await views.listChanges({ limit: 1000 });
  const graph = await store.find('graph', {
    orderBy: [
      { field: 'key', direction: 'asc' },
      { field: 'revision', direction: 'asc' },
    ],
    limit: 100_000,
  });
  return { currentCis, ciVersions, changeFeed, graph };
}
