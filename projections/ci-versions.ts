import { evolveDocument, type CiDocument, type CiEventType } from '../src/domain';
import { asOfIndex, type ViewReader } from '../src/ports/view-store';
import { ciDocumentFields, ciListConditions, type CiListQuery } from './current-cis';
import type { ProjectionDefinition } from './projection';
import { versionWrites } from './versions';

/**
 * One document per CI revision, valid over [validFrom, validTo) in recorded
 * time; validTo is null for the current revision. "CI X as of T" is then one
 * indexed lookup and "the whole inventory as of T" one range query, with no
 * replay per request.
 */
export interface CiVersion {
  readonly ciId: string;
  readonly revision: number;
  readonly position: number;
  readonly eventType: CiEventType;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly document: CiDocument;
}

export const ciVersionsProjection: ProjectionDefinition<CiVersion> = {
  name: 'ciVersions',
  version: 1,
  kind: 'temporal',
  keyType: 'text',
  key: (doc) => doc.ciId,
  partition: 'key',
  fields: {
    ...ciDocumentFields,
    // A baseline taken at a log position finds each CI's version as of that position.
    position: { type: 'integer', of: (doc) => doc.position },
  },
  indexes: [],
  handles: ['CiRegistered', 'CiChanged', 'CiRetired', 'CiRestored'],
  project(open, recorded) {
    const next = {
      ciId: recorded.ciId,
      position: recorded.position,
      eventType: recorded.event.type,
      document: evolveDocument(open[0]?.document, recorded.event),
    };
    return versionWrites<CiVersion>((doc) => doc.ciId, open, [next], recorded);
  },
};

const VIEW = ciVersionsProjection.name;

export const ciVersionQueries = {
  /** The version of the CI valid at `at` (ms since the epoch), if it existed then. */
  async at(views: ViewReader, ciId: string, at: number): Promise<CiVersion | undefined> {
    const [version] = await views.find<CiVersion>(VIEW, {
      where: [{ field: 'key', op: '=', value: ciId }],
      asOf: at,
      // Newest first: the first version that began by `at` is the only one that can hold at `at`.
      orderBy: [{ field: 'validFrom', direction: 'desc' }],
      limit: 1,
      index: asOfIndex(VIEW),
    });
    return version;
  },

  /** The CI's version as of log position `position`: the newest opened by an event at or before it. */
  async atPosition(views: ViewReader, ciId: string, position: number): Promise<CiVersion | undefined> {
    const [version] = await views.find<CiVersion>(VIEW, {
      where: [
        { field: 'key', op: '=', value: ciId },
        { field: 'position', op: '<=', value: position },
      ],
      orderBy: [{ field: 'validFrom', direction: 'desc' }],
      limit: 1,
      index: asOfIndex(VIEW),
    });
    return version;
  },

  async byRevision(views: ViewReader, ciId: string, revision: number): Promise<CiVersion | undefined> {
    const [version] = await views.find<CiVersion>(VIEW, {
      where: [
        { field: 'key', op: '=', value: ciId },
        { field: 'revision', op: '=', value: revision },
      ],
      limit: 1,
    });
    return version;
  },

  /** Every CI as it stood at `at`, in id order. */
  listAt(views: ViewReader, at: number, query: CiListQuery): Promise<CiVersion[]> {
    return views.find<CiVersion>(VIEW, {
      where: ciListConditions(query),
      asOf: at,
      orderBy: [{ field: 'key', direction: 'asc' }],
      limit: query.limit,
      // Walks the versions in (key, validFrom) order, keeping the one per CI whose window holds `at`.
      index: asOfIndex(VIEW),
    });
  },
};
