import type { ViewStore } from '../../src/ports/view-store';

/** Everything a view store holds, in a comparable shape (small test data sets only). */
export async function dumpViews(store: ViewStore) {
  const currentCis = await store.listCurrentCis({ includeRetired: true, limit: 1000 });
  const ciVersions = [];
  for (const ci of currentCis) {
    for (let revision = 1; revision <= ci.revision; revision++)
      ciVersions.push(await store.getCiVersion(ci.ciId, revision));
  }
  const changeFeed = await store.listChanges({ limit: 1000 });
  return { currentCis, ciVersions, changeFeed };
}
