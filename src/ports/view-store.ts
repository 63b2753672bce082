/**
 * Storage for the read models, generic over views: a view declares how its
 * documents are stored (its kind, key, partition, indexed fields and indexes;
 * see StoredView) and every store keeps any view by that declaration alone.
 * The projection runner is the only writer; each view's queries, written
 * once against this port, live with the view in projections/. Views are
 * disposable: any can be reset and rebuilt from the log.
 */

/** Every document records the revision of the CI event that wrote it. */
export interface ViewDoc {
  readonly revision: number;
}

/**
 * A document valid over [validFrom, validTo) in recorded time (validTo null:
 * still valid). "As of T" means `validFrom <= T < validTo`, a rule each store
 * implements once for every temporal view (DocQuery.asOf).
 */
export interface TemporalDoc extends ViewDoc {
  readonly validFrom: string;
  readonly validTo: string | null;
}

/**
 * - `current`: one document per key, the key being the partition (the CI);
 *   a write replaces the stored document unless that one reflects a newer revision.
 * - `temporal`: versions of keyed things, each stored once per (key, revision);
 *   an open version never replaces a stored one (it may have been closed
 *   since), a closed one always does (closing is deterministic).
 * - `log`: immutable entries, ordered by key; the first write of a key wins.
 */
export type ViewKind = 'current' | 'temporal' | 'log';

/** Field values as stored: times are ms since the epoch (stores may keep them as dates). */
export type FieldType = 'text' | 'integer' | 'time';
export type FieldValue = string | number | null;

export interface FieldSpec<Doc> {
  readonly type: FieldType;
  /** The field's value in a document; a `time` field is an RFC 3339 string or null. */
  of(doc: Doc): FieldValue;
}

export interface IndexSpec {
  /** Unique across all views of a store. */
  readonly name: string;
  /** Fields in index order: declared fields or the built-ins (BUILT_IN_FIELDS). */
  readonly fields: readonly string[];
}

/**
 * Fields every view has: `key` and `partition` (the CI whose events write the
 * document), `revision`; temporal views add `validFrom` and `validTo`.
 */
export const BUILT_IN_FIELDS = ['key', 'partition', 'revision', 'validFrom', 'validTo'] as const;
export type BuiltInField = (typeof BUILT_IN_FIELDS)[number];

/** How a view's documents are stored: all a store needs to keep a view. */
export interface StoredView<Doc extends ViewDoc = ViewDoc> {
  readonly name: string;
  readonly kind: ViewKind;
  /** Integer keys (positions) sort as numbers; text keys as strings. */
  readonly keyType: 'text' | 'integer';
  key(doc: Doc): string | number;
  /** The CI whose events write the document; `key` when they are the same (current views always). */
  readonly partition: 'key' | ((doc: Doc) => string);
  /** The fields queries filter and sort on, beyond the built-ins. */
  readonly fields: Readonly<Record<string, FieldSpec<Doc>>>;
  /** Indexes beyond the ones each kind needs for its own writes and loads. */
  readonly indexes: readonly IndexSpec[];
  /**
   * Top-level members that answers read as JSON text (findJson), such as a
   * CI's document. A store may keep each apart from the rest of the document,
   * so an answer hands it out as it was stored rather than parsing the whole
   * document to find it (SQLite does; MongoDB stores documents as they are).
   */
  readonly membersReadAsJson?: readonly string[];
}

export type Condition =
  | {
      readonly field: string;
      readonly op: '=' | '<>' | '<' | '<=' | '>' | '>=';
      /** Time fields take ms since the epoch. */
      readonly value: string | number;
    }
  | { readonly field: string; readonly op: 'in'; readonly values: readonly (string | number)[] };

export interface DocQuery {
  /** All must hold. */
  readonly where?: readonly Condition[];
  /** Temporal views only: the documents valid at this instant (ms since the epoch). */
  readonly asOf?: number;
  readonly orderBy?: readonly { readonly field: string; readonly direction: 'asc' | 'desc' }[];
  readonly limit: number;
  /** The index the query is written for, forced where the store allows it (a plan change cannot turn it into a scan). */
  readonly index?: string;
}

/**
 * The indexes every store builds for a view, whatever it declares: a temporal
 * view's `(key, validFrom)` (one thing as of T, and every thing as of T in
 * key order), and, when its partition is not its key, `(partition, validTo)`
 * for loading open versions; a log view's `(partition, key)` for its newest
 * entry per CI.
 */
export function builtInIndexes(view: StoredView<never>): IndexSpec[] {
  switch (view.kind) {
    case 'current':
      return [];
    case 'temporal':
      return [
        { name: asOfIndex(view.name), fields: ['key', 'validFrom'] },
        ...(view.partition === 'key' ? [] : [{ name: `${view.name}_open`, fields: ['partition', 'validTo'] }]),
      ];
    case 'log':
      return [{ name: `${view.name}_by_partition`, fields: ['partition', 'key'] }];
  }
}

/**
 * What a view's stored layout depends on: a store keeps it beside the view's
 * table or collection, and drops and rebuilds the view when it changes.
 */
export function layoutSignature(view: StoredView<never>): string {
  const { kind, keyType, partition, fields, indexes } = view;
  return JSON.stringify({
    layout: 1,
    kind,
    keyType,
    partitionIsKey: partition === 'key',
    fields: Object.entries(fields).map(([name, spec]) => [name, spec.type]),
    indexes,
  });
}

/** The name of a temporal view's `(key, validFrom)` index, for queries that force it. */
export function asOfIndex(viewName: string): string {
  return `${viewName}_as_of`;
}

/** Documents counted by the values of some fields (reports), in the store, without reading them out. */
export interface CountQuery {
  readonly where?: readonly Condition[];
  /** Temporal views only: the documents valid at this instant. */
  readonly asOf?: number;
  /** The fields whose values make a group (text or integer fields, or `key`/`partition`). */
  readonly groupBy: readonly string[];
}

export interface CountRow {
  /** The group's values, in `groupBy` order. */
  readonly group: readonly (string | number | null)[];
  readonly count: number;
}

/** What queries need of a store. */
export interface ViewReader {
  find<Doc extends ViewDoc>(view: string, query: DocQuery): Promise<Doc[]>;
  /**
   * As find, but each document comes back as the JSON texts of some of its
   * top-level members, in `members` order (`null` for one it lacks), without
   * being parsed: for answers that pass documents on as they are. A page of
   * documents otherwise spends most of its time parsing them and writing them
   * out again. Temporal views' `validFrom` and `validTo` are members too.
   */
  findJson(view: string, query: DocQuery, members: readonly string[]): Promise<string[][]>;
  /**
   * As find, but only each document's key (the view's `key(doc)`), without
   * the document: where the query's index holds the key, a store answers
   * from the index alone and reads no document. For views whose key says all
   * a query needs (the graph's edges: source, type and target).
   */
  findKeys(view: string, query: DocQuery): Promise<(string | number)[]>;
  /** How many documents match, per group; groups in no particular order. */
  count(view: string, query: CountQuery): Promise<CountRow[]>;
}

export interface ProjectionCheckpoint {
  readonly projection: string;
  /** The projection version the view was built with. */
  readonly version: number;
  /** The global log position of the last event applied (0: none). */
  readonly position: number;
}

export interface ViewWrite {
  readonly view: string;
  readonly doc: ViewDoc;
}

export interface ViewBatch {
  /** Upserts under the view kind's rule, applied in order. */
  readonly writes: readonly ViewWrite[];
  readonly checkpoints: readonly ProjectionCheckpoint[];
}

export interface ViewVersion {
  readonly projection: string;
  readonly version: number;
}

/**
 * View writes already turned into a store's rows, per view: made in a worker
 * thread and handed to the one writer (plain data, so it crosses threads).
 */
export type PreparedViewRows = readonly (readonly [view: string, rows: unknown[][]])[];

/** A bulk load of emptied views: faster than batches, for one writer rebuilding from the log. */
export interface ViewBulkLoad {
  /** Adds documents in order; a later write of the same stored document replaces an earlier one. */
  write(writes: readonly ViewWrite[]): Promise<void>;
  /**
   * Adds rows a parallel rebuild's worker prepared with this store's own
   * row preparer (disjoint CIs per worker, in order within one); stores
   * without a preparer lack it.
   */
  writePrepared?(rows: PreparedViewRows): Promise<void>;
  /** Makes what was written durable and queryable, with the checkpoints, in one step. */
  finish(checkpoints: readonly ProjectionCheckpoint[]): Promise<void>;
  /** Gives up, leaving the views empty at checkpoint 0 (a later catch-up starts over). */
  abort(): Promise<void>;
}

export interface ViewStore extends ViewReader {
  /** Which store this is, for logs and /readyz (`sqlite`, `mongodb`). */
  readonly adapter: string;

  // ── written by the projection runner ──────────────────────────────────
  readCheckpoints(): Promise<ProjectionCheckpoint[]>;
  /** Drops every document of the view and sets its checkpoint to 0 at `version`. */
  resetView(view: string, version: number): Promise<void>;
  /**
   * What a projection needs to go on from, per partition: the document of a
   * current view, the open versions of a temporal view, the newest entry of
   * a log view. Partitions with none are absent.
   */
  loadState(view: string, partitions: readonly string[]): Promise<Map<string, ViewDoc[]>>;
  /**
   * Applies writes and checkpoints together: in one transaction where the
   * store allows it; otherwise writes first (they are idempotent, guarded by
   * the kind's rule) and checkpoints after, so a crash replays rather than skips.
   */
  applyBatch(batch: ViewBatch): Promise<void>;
  /**
   * Optional: empties the views and starts loading them in bulk, for a
   * rebuild with no other writer. Stores that lack it are rebuilt with
   * applyBatch.
   */
  startBulkLoad?(views: readonly ViewVersion[]): Promise<ViewBulkLoad>;

  /** Throws if the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** How far the views have caught up with the log; lets reads wait for a write. */
export interface ViewProgress {
  /** The log position every view has applied. */
  currentPosition(): number;
  /** Resolves true once every view has applied `position`, false after `timeoutMs` or when `signal` aborts. */
  waitForPosition(position: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
}
