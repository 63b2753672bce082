import type { ChangeFeedEntry, CiVersion, CurrentCi, ViewDocuments, ViewName } from '../../projections';
import type { CiEventType, CiStatus } from '../domain';

/**
 * Storage for the read models. The projection runner is its only writer;
 * queries read from it. Views are disposable: any can be reset and rebuilt
 * from the log.
 */

export interface ProjectionCheckpoint {
  readonly projection: ViewName;
  /** The projection version the view was built with. */
  readonly version: number;
  /** The global log position of the last event applied (0: none). */
  readonly position: number;
}

export type ViewWrite = { [Name in ViewName]: { readonly view: Name; readonly doc: ViewDocuments[Name] } }[ViewName];

export interface ViewBatch {
  /** Upserts, applied in order (a later write to the same key wins). */
  readonly writes: readonly ViewWrite[];
  readonly checkpoints: readonly ProjectionCheckpoint[];
}

export interface ViewVersion {
  readonly projection: ViewName;
  readonly version: number;
}

/** A bulk load of emptied views: faster than batches, for one writer rebuilding from the log. */
export interface ViewBulkLoad {
  /** Adds documents in order; a later write of the same key replaces an earlier one. */
  write(writes: readonly ViewWrite[]): Promise<void>;
  /** Makes what was written durable and queryable, with the checkpoints, in one step. */
  finish(checkpoints: readonly ProjectionCheckpoint[]): Promise<void>;
  /** Gives up, leaving the views empty at checkpoint 0 (a later catch-up starts over). */
  abort(): Promise<void>;
}

export interface CiListQuery {
  readonly type?: string | undefined;
  readonly status?: CiStatus | undefined;
  /** Retired CIs are left out unless asked for (or asked for by status). */
  readonly includeRetired: boolean;
  /** Keyset pagination: only CIs whose id sorts after this one. */
  readonly afterCiId?: string | undefined;
  readonly limit: number;
}

export interface ChangeQuery {
  /** Newest first (default, the feed) or oldest first (streams and replays). */
  readonly order?: 'newest-first' | 'oldest-first';
  /** Only entries before this position (keyset pagination, newest first). */
  readonly beforePosition?: number | undefined;
  /** Only entries after this position (keyset pagination, oldest first). */
  readonly afterPosition?: number | undefined;
  /** Recorded at or after this instant (ms since the epoch). */
  readonly since?: number | undefined;
  /** Recorded at or before this instant (ms since the epoch). */
  readonly until?: number | undefined;
  readonly ciId?: string | undefined;
  readonly ciType?: string | undefined;
  readonly eventType?: CiEventType | undefined;
  readonly actor?: string | undefined;
  readonly changeRef?: string | undefined;
  readonly limit: number;
}

export interface ViewStore {
  /** Which store this is, for logs and /readyz (`sqlite`, `mongodb`). */
  readonly adapter: string;

  // ── written by the projection runner ──────────────────────────────────
  readCheckpoints(): Promise<ProjectionCheckpoint[]>;
  /** Drops every document of the view and sets its checkpoint to 0 at `version`. */
  resetView(view: ViewName, version: number): Promise<void>;
  /** The newest document of `view` for each of the CIs (missing ones are absent). */
  loadLatest<Name extends ViewName>(view: Name, ciIds: readonly string[]): Promise<Map<string, ViewDocuments[Name]>>;
  /**
   * Applies writes and checkpoints together: in one transaction where the
   * store allows it; otherwise writes first (they are idempotent, guarded by
   * revision) and checkpoints after, so a crash replays rather than skips.
   */
  applyBatch(batch: ViewBatch): Promise<void>;
  /**
   * Optional: empties the views and starts loading them in bulk, for a
   * rebuild with no other writer. Stores that lack it are rebuilt with
   * applyBatch.
   */
  startBulkLoad?(views: readonly ViewVersion[]): Promise<ViewBulkLoad>;

  // ── queries ───────────────────────────────────────────────────────────
  getCurrentCi(ciId: string): Promise<CurrentCi | undefined>;
  listCurrentCis(query: CiListQuery): Promise<CurrentCi[]>;
  /** The version of the CI valid at `at` (ms since the epoch), if it existed then. */
  getCiVersionAt(ciId: string, at: number): Promise<CiVersion | undefined>;
  getCiVersion(ciId: string, revision: number): Promise<CiVersion | undefined>;
  /** Every CI as it stood at `at`, in id order. */
  listCiVersionsAt(at: number, query: CiListQuery): Promise<CiVersion[]>;
  /** In `query.order`, newest first by default. */
  listChanges(query: ChangeQuery): Promise<ChangeFeedEntry[]>;

  /** Throws if the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** How far the views have caught up with the log; lets reads wait for a write. */
export interface ViewProgress {
  /** The log position every view has applied. */
  currentPosition(): number;
  /** Resolves true once every view has applied `position`, false after `timeoutMs`. */
  waitForPosition(position: number, timeoutMs: number): Promise<boolean>;
}
