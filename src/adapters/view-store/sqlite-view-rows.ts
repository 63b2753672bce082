import type { ChangeFeedEntry, CiVersion, CurrentCi, ViewName } from '../../../projections';
import type { ViewWrite } from '../../ports/view-store';

/**
 * How the SQLite view store lays out each view's documents as rows, shared by
 * the live writer (guarded upserts) and the bulk loader (plain inserts), so
 * the two cannot store a document differently.
 */

export const TABLES: Record<ViewName, string> = {
  currentCis: 'current_cis',
  ciVersions: 'ci_versions',
  changeFeed: 'change_feed',
};

export const COLUMNS: Record<ViewName, readonly string[]> = {
  currentCis: ['ci_id', 'type', 'status', 'revision', 'doc'],
  ciVersions: ['ci_id', 'revision', 'valid_from', 'valid_to', 'type', 'status', 'doc'],
  changeFeed: ['position', 'ci_id', 'ci_type', 'revision', 'event_type', 'recorded_ms', 'actor', 'change_ref', 'doc'],
};

/**
 * The indexes queries need beyond each table's primary key. A bulk load drops
 * them and builds each once at the end, from sorted data, instead of
 * updating them row by row; opening the store creates any that are missing.
 */
export const SECONDARY_INDEXES: readonly { name: string; table: string; columns: string }[] = [
  { name: 'current_cis_by_type', table: 'current_cis', columns: 'type, ci_id' },
  { name: 'ci_versions_as_of', table: 'ci_versions', columns: 'ci_id, valid_from' },
  { name: 'change_feed_by_ci', table: 'change_feed', columns: 'ci_id, position' },
  { name: 'change_feed_by_time', table: 'change_feed', columns: 'recorded_ms' },
  { name: 'change_feed_by_change_ref', table: 'change_feed', columns: 'change_ref, position' },
];

/** SQL creating the secondary indexes that are missing. */
export function createSecondaryIndexes(): string {
  return SECONDARY_INDEXES.map(
    ({ name, table, columns }) => `CREATE INDEX IF NOT EXISTS ${name} ON ${table} (${columns});`,
  ).join('\n');
}

/** A version row stores everything but its validity window in `doc`. */
export type StoredVersion = Omit<CiVersion, 'validFrom' | 'validTo'>;

/** The row's values in COLUMNS order. */
export function rowOf(write: ViewWrite): unknown[] {
  switch (write.view) {
    case 'currentCis':
      return currentRow(write.doc);
    case 'ciVersions':
      return versionRow(write.doc);
    case 'changeFeed':
      return changeRow(write.doc);
  }
}

/** The primary key of the row a write lands on, as one string (to coalesce writes in memory). */
export function keyOf(write: ViewWrite): string | number {
  switch (write.view) {
    case 'currentCis':
      return write.doc.ciId;
    case 'ciVersions':
      return `${write.doc.ciId}\u0000${write.doc.revision}`;
    case 'changeFeed':
      return write.doc.position;
  }
}

function currentRow(doc: CurrentCi): unknown[] {
  return [doc.ciId, doc.document.type, doc.document.status, doc.revision, JSON.stringify(doc)];
}

function versionRow(version: CiVersion): unknown[] {
  const { validFrom, validTo, ...stored } = version;
  return [
    stored.ciId,
    stored.revision,
    Date.parse(validFrom),
    validTo === null ? null : Date.parse(validTo),
    stored.document.type,
    stored.document.status,
    JSON.stringify(stored satisfies StoredVersion),
  ];
}

function changeRow(doc: ChangeFeedEntry): unknown[] {
  return [
    doc.position,
    doc.ciId,
    doc.ciType,
    doc.revision,
    doc.eventType,
    Date.parse(doc.recordedAt),
    doc.actor,
    doc.changeRef,
    JSON.stringify(doc),
  ];
}
