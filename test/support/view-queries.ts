import {
  changeFeedQueries,
  ciVersionQueries,
  currentCiQueries,
  type ChangeQuery,
  type CiListQuery,
} from '../../projections';
import type { ViewReader } from '../../src/ports/view-store';

/** Each view's queries bound to one store, as tests read them. */
export function viewQueries(views: ViewReader) {
  return {
    getCurrentCi: (ciId: string) => currentCiQueries.get(views, ciId),
    listCurrentCis: (query: CiListQuery) => currentCiQueries.list(views, query),
    getCiVersionAt: (ciId: string, at: number) => ciVersionQueries.at(views, ciId, at),
    getCiVersion: (ciId: string, revision: number) => ciVersionQueries.byRevision(views, ciId, revision),
    listCiVersionsAt: (at: number, query: CiListQuery) => ciVersionQueries.listAt(views, at, query),
    listChanges: (query: ChangeQuery) => changeFeedQueries.list(views, query),
  };
}
