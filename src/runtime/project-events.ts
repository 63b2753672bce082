import type { AnyProjection } from '../../projections';
import type { RecordedCiEvent } from '../domain';
import type { TemporalDoc, ViewDoc, ViewWrite } from '../ports/view-store';

/** Each CI's state in one view (see ViewStore.loadState), by CI id. */
export type ViewState = Map<string, readonly ViewDoc[]>;

/**
 * Projects events in order; `state` holds each CI's state in the view and is
 * updated as the page goes, so several events of one CI in a page chain. An
 * event the state already reflects (a document of that revision or newer)
 * is skipped.
 */
export function projectEvents(
  projection: AnyProjection,
  state: ViewState,
  events: readonly RecordedCiEvent[],
): ViewWrite[] {
  const writes: ViewWrite[] = [];
  for (const event of events) {
    if (!projection.handles.includes(event.event.type)) continue;
    const before = state.get(event.ciId) ?? [];
    if (before.some((doc) => doc.revision >= event.revision)) continue;
    const docs = projection.project(before, event);
    for (const doc of docs) writes.push({ view: projection.name, doc });
    state.set(event.ciId, nextState(projection, before, docs));
  }
  return writes;
}

/** The state after writing `docs`, by the view kind's rule (what loadState would now return). */
function nextState(
  projection: AnyProjection,
  before: readonly ViewDoc[],
  docs: readonly ViewDoc[],
): readonly ViewDoc[] {
  if (projection.kind !== 'temporal') return docs.length > 0 ? [docs.at(-1)!] : before;
  if (docs.length === 0) return before;
  if (before.length === 0) return docs.filter((doc) => (doc as TemporalDoc).validTo === null);
  const id = (doc: ViewDoc) => `${projection.key(doc)}\u0000${doc.revision}`;
  const open = new Map(before.map((doc) => [id(doc), doc]));
  for (const doc of docs as readonly TemporalDoc[]) {
    if (doc.validTo === null) open.set(id(doc), doc);
    else open.delete(id(doc));
  }
  return [...open.values()];
}
