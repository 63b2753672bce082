import type { ViewDocuments, ViewName } from '../../projections';
import type { RecordedCiEvent } from '../domain';
import type { ViewWrite } from '../ports/view-store';

/**
 * Projects events in order; `latest` holds each CI's newest document and is
 * updated as the page goes, so several events of one CI in a page chain.
 * An event the view already reflects (revision not newer) is skipped.
 */
export function projectEvents<Name extends ViewName>(
  projection: {
    name: Name;
    handles: readonly string[];
    project(latest: ViewDocuments[Name] | undefined, event: RecordedCiEvent): readonly ViewDocuments[Name][];
  },
  latest: Map<string, ViewDocuments[Name]>,
  events: readonly RecordedCiEvent[],
): ViewWrite[] {
  const writes: ViewWrite[] = [];
  for (const event of events) {
    if (!projection.handles.includes(event.event.type)) continue;
    const previous = latest.get(event.ciId);
    if (previous && previous.revision >= event.revision) continue;
    const docs = projection.project(previous, event);
    for (const doc of docs) writes.push({ view: projection.name, doc } as ViewWrite);
    if (docs.length > 0) latest.set(event.ciId, docs.at(-1)!);
  }
  return writes;
}
