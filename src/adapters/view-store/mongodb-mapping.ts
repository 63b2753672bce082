import type { ChangeFeedEntry, CiVersion, CurrentCi, ViewName } from '../../../projections';
import type { ChangeQuery, CiListQuery, ViewWrite } from '../../ports/view-store';

/**
 * Pure translation between the views' documents and MongoDB documents, and
 * the filters, sorts and indexes of every query, kept apart from the driver
 * so that they are unit-tested without a server and so that the integration
 * test explains exactly the queries the adapter runs.
 *
 * Times that queries filter on are BSON dates (ms precision, like ours); the
 * CI document is stored as it is, so the views can be queried natively.
 */

export const COLLECTIONS: Record<ViewName, string> = {
  currentCis: 'current_cis',
  ciVersions: 'ci_versions',
  changeFeed: 'change_feed',
};
export const PROJECTION_CHECKPOINTS = 'projection_checkpoints';
export const CONSUMER_CHECKPOINTS = 'consumer_checkpoints';

type Doc = Record<string, unknown>;

export interface IndexSpec {
  readonly name: string;
  readonly key: Record<string, 1 | -1>;
  readonly unique?: boolean;
}

/** The indexes each query needs; `as_of` serves the point-in-time lookups of one CI and of the inventory. */
export const INDEXES: Record<ViewName, readonly IndexSpec[]> = {
  currentCis: [{ name: 'by_type', key: { 'document.type': 1, _id: 1 } }],
  ciVersions: [
    { name: 'by_revision', key: { ciId: 1, revision: 1 }, unique: true },
    { name: 'as_of', key: { ciId: 1, validFrom: 1 } },
  ],
  changeFeed: [
    { name: 'by_ci', key: { ciId: 1, _id: 1 } },
    { name: 'by_time', key: { recordedAt: 1 } },
    { name: 'by_change_ref', key: { changeRef: 1, _id: 1 } },
  ],
};

export function versionId(ciId: string, revision: number): string {
  return `${ciId}#${revision}`;
}

// ── documents ───────────────────────────────────────────────────────────

export function toMongoCurrent(doc: CurrentCi): Doc {
  return { _id: doc.ciId, ...doc, recordedAt: new Date(doc.recordedAt) };
}

export function fromMongoCurrent(stored: Doc): CurrentCi {
  const { _id, recordedAt, ...rest } = stored;
  return { ...(rest as Omit<CurrentCi, 'recordedAt'>), recordedAt: (recordedAt as Date).toISOString() };
}

export function toMongoVersion(doc: CiVersion): Doc {
  return {
    _id: versionId(doc.ciId, doc.revision),
    ...doc,
    validFrom: new Date(doc.validFrom),
    validTo: doc.validTo === null ? null : new Date(doc.validTo),
  };
}

export function fromMongoVersion(stored: Doc): CiVersion {
  const { _id, validFrom, validTo, ...rest } = stored;
  return {
    ...(rest as Omit<CiVersion, 'validFrom' | 'validTo'>),
    validFrom: (validFrom as Date).toISOString(),
    validTo: validTo instanceof Date ? validTo.toISOString() : null,
  };
}

export function toMongoChange(doc: ChangeFeedEntry): Doc {
  return { _id: doc.position, ...doc, recordedAt: new Date(doc.recordedAt) };
}

export function fromMongoChange(stored: Doc): ChangeFeedEntry {
  const { _id, recordedAt, ...rest } = stored;
  return { ...(rest as Omit<ChangeFeedEntry, 'recordedAt'>), recordedAt: (recordedAt as Date).toISOString() };
}

// ── writes ──────────────────────────────────────────────────────────────

export interface GuardedWrite {
  readonly collection: string;
  /** An upserting pipeline update: replaces the document unless the stored one must be kept. */
  readonly updateOne: { filter: Doc; update: Doc[]; upsert: true };
}

/**
 * A write that is safe to replay: the stored document is replaced only when
 * the incoming one is not older, decided by the server in one atomic update.
 * `$literal` keeps the document's own keys (attributes may hold `$` or `.`)
 * from being read as expressions.
 *
 * - current CI: kept when the stored revision is newer;
 * - CI version: an open version never replaces a stored one (it may have been
 *   closed since); a closed one always does (closing is deterministic);
 * - change feed entry: immutable once written.
 */
export function toGuardedWrite(write: ViewWrite): GuardedWrite {
  switch (write.view) {
    case 'currentCis':
      return guarded(COLLECTIONS.currentCis, write.doc.ciId, toMongoCurrent(write.doc), {
        $gt: [{ $ifNull: ['$revision', 0] }, write.doc.revision],
      });
    case 'ciVersions': {
      const keep = write.doc.validTo === null ? exists('$revision') : { $literal: false };
      return guarded(
        COLLECTIONS.ciVersions,
        versionId(write.doc.ciId, write.doc.revision),
        toMongoVersion(write.doc),
        keep,
      );
    }
    case 'changeFeed':
      return guarded(COLLECTIONS.changeFeed, write.doc.position, toMongoChange(write.doc), exists('$revision'));
  }
}

function guarded(collection: string, id: unknown, doc: Doc, keepStored: Doc): GuardedWrite {
  return {
    collection,
    updateOne: {
      filter: { _id: id },
      update: [{ $replaceWith: { $cond: { if: keepStored, then: '$$ROOT', else: { $literal: doc } } } }],
      upsert: true,
    },
  };
}

function exists(field: string): Doc {
  return { $ne: [{ $type: field }, 'missing'] };
}

/** Keeps the last write to each document: a later write to the same key wins, as the port says. */
export function lastWritePerKey(writes: readonly ViewWrite[]): ViewWrite[] {
  const byKey = new Map<string, ViewWrite>();
  for (const write of writes) {
    const key =
      write.view === 'currentCis'
        ? `c:${write.doc.ciId}`
        : write.view === 'ciVersions'
          ? `v:${versionId(write.doc.ciId, write.doc.revision)}`
          : `f:${write.doc.position}`;
    byKey.delete(key); // re-inserted at the end, so the surviving writes keep their order
    byKey.set(key, write);
  }
  return [...byKey.values()];
}

// ── queries ─────────────────────────────────────────────────────────────

export interface FindSpec {
  readonly filter: Doc;
  readonly sort: Record<string, 1 | -1>;
  readonly limit: number;
  /** The index the query is written for (forced, so a plan change cannot turn it into a scan). */
  readonly hint?: string;
}

function ciFilter(query: CiListQuery, idField: '_id' | 'ciId'): Doc {
  const filter: Doc = {};
  if (query.afterCiId !== undefined) filter[idField] = { $gt: query.afterCiId };
  if (query.type !== undefined) filter['document.type'] = query.type;
  if (query.status !== undefined) filter['document.status'] = query.status;
  else if (!query.includeRetired) filter['document.status'] = { $ne: 'retired' };
  return filter;
}

export function listCurrentCisSpec(query: CiListQuery): FindSpec {
  return { filter: ciFilter(query, '_id'), sort: { _id: 1 }, limit: query.limit };
}

/** The newest version of the CI that began at or before `at`; the caller checks it had not ended by then. */
export function versionAtSpec(ciId: string, at: number): FindSpec {
  return { filter: { ciId, validFrom: { $lte: new Date(at) } }, sort: { validFrom: -1 }, limit: 1, hint: 'as_of' };
}

/**
 * Every CI as it stood at `at`: walks the `as_of` index in CI order, keeping
 * the one version per CI whose validity window contains `at`.
 */
export function versionsAtSpec(at: number, query: CiListQuery): FindSpec {
  const when = new Date(at);
  return {
    filter: {
      ...ciFilter(query, 'ciId'),
      validFrom: { $lte: when },
      $or: [{ validTo: null }, { validTo: { $gt: when } }],
    },
    sort: { ciId: 1 },
    limit: query.limit,
    hint: 'as_of',
  };
}

export function listChangesSpec(query: ChangeQuery): FindSpec {
  const filter: Doc = {};
  const position: Doc = {};
  if (query.beforePosition !== undefined) position['$lt'] = query.beforePosition;
  if (query.afterPosition !== undefined) position['$gt'] = query.afterPosition;
  if (Object.keys(position).length > 0) filter['_id'] = position;
  const recorded: Doc = {};
  if (query.since !== undefined) recorded['$gte'] = new Date(query.since);
  if (query.until !== undefined) recorded['$lte'] = new Date(query.until);
  if (Object.keys(recorded).length > 0) filter['recordedAt'] = recorded;
  if (query.ciId !== undefined) filter['ciId'] = query.ciId;
  if (query.ciType !== undefined) filter['ciType'] = query.ciType;
  if (query.eventType !== undefined) filter['eventType'] = query.eventType;
  if (query.actor !== undefined) filter['actor'] = query.actor;
  if (query.changeRef !== undefined) filter['changeRef'] = query.changeRef;
  return { filter, sort: { _id: query.order === 'oldest-first' ? 1 : -1 }, limit: query.limit };
}
