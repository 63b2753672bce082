import type { PreparedViewRows } from '../ports/view-store';

/** What a rebuild worker is started with (must survive structured cloning): its share of the log. */
export interface RebuildWorkerData {
  readonly eventStoreFile: string;
  /** The projections to load, by name. */
  readonly projections: readonly string[];
  /** The log's head when the rebuild began. */
  readonly target: number;
  readonly pageSize: number;
  /** Rows prepared before they are handed over (bounds each message). */
  readonly flushSize: number;
  /** The worker's range of streams: from this one on, before that one. */
  readonly streams: { readonly from?: string | undefined; readonly before?: string | undefined };
}

/** Loader → worker: a batch was inserted (a worker keeps at most two waiting, so memory stays bounded). */
export type ToRebuildWorker = { readonly type: 'inserted' };

/** Worker → loader. */
export type FromRebuildWorker =
  | { readonly type: 'rows'; readonly rows: PreparedViewRows }
  | { readonly type: 'progress'; readonly eventsLoaded: number }
  | { readonly type: 'done'; readonly eventsLoaded: number }
  /** The worker could not read or project its range; it exits next. */
  | { readonly type: 'failed'; readonly message: string };
