import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AnyProjection } from '../../projections';
import { toRecordedCiEvent } from '../application/ci-event-codec';
import type { EventStore, StreamCursor } from '../ports/event-store';
import type { ViewBulkLoad, ViewWrite } from '../ports/view-store';
import { projectEvents, type ViewState } from './project-events';

export interface LoadViewsByStreamOptions {
  readonly readByStream: NonNullable<EventStore['readByStream']>;
  /** Where the writes go: the bulk load itself, or a worker's row preparer. */
  readonly load: Pick<ViewBulkLoad, 'write'>;
  readonly projections: readonly AnyProjection[];
  /** The last position to load (the head when the rebuild began). */
  readonly target: number;
  readonly pageSize: number;
  /** The range of streams to load, for one part of a parallel rebuild: from this stream on, before that one. */
  readonly streams?: { readonly from?: string | undefined; readonly before?: string | undefined };
  /** Called after each page with the number of events loaded so far. */
  readonly onPage: (eventsLoaded: number) => void;
}

/**
 * Projects the log into a bulk load one CI at a time: events come ordered by
 * stream, so each projection needs only the state of the CI being
 * read, never a read back from the store, and memory stays bounded by one
 * page however many CIs the log holds. Uses the same projectEvents as the
 * live runner, so a rebuild and a catch-up cannot disagree.
 */
export async function loadViewsByStream(options: LoadViewsByStreamOptions): Promise<number> {
  const { readByStream, load, projections, target, pageSize } = options;
  const states = new Map<string, ViewState>(projections.map((p) => [p.name, new Map()]));
  const { from, before } = options.streams ?? {};
  // Revisions start at 0: (from, -1) comes before a stream's first event.
  let after: StreamCursor | undefined = from === undefined ? undefined : { streamName: from, revision: -1 };
  let loaded = 0;
  for (;;) {
    const read = await readByStream(target, after, pageSize);
    const inRange = before === undefined ? read.length : read.findIndex((event) => event.streamName >= before);
    const page = inRange === -1 ? read : read.slice(0, inRange);
    if (page.length === 0) return loaded;
    const events = page.map(toRecordedCiEvent);
    const writes: ViewWrite[] = [];
    for (const projection of projections)
      writes.push(...projectEvents(projection, states.get(projection.name)!, events));
    await load.write(writes);
    const last = page.at(-1)!;
    after = { streamName: last.streamName, revision: last.revision };
    // Only the CI the page ended in can continue on the next page.
    const continuing = events.at(-1)!.ciId;
    for (const state of states.values()) {
      const kept = state.get(continuing);
      state.clear();
      if (kept) state.set(continuing, kept);
    }
    loaded += page.length;
    options.onPage(loaded);
    // The reads and writes are synchronous on SQLite: let timers (progress) and signals run.
    await nextTurn();
  }
}
