import { evolveDocument, type CiDocument, type CiEventType, type CiStatus } from '../src/domain';
import { asOfIndex, type Condition, type DocQuery, type ViewReader } from '../src/ports/view-store';
import { ciDocumentFields, ciListConditions, type CiJsonMembers, type CiListQuery } from './current-cis';
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
  /** The status before this revision (null for a registration): lifecycle transitions without a join. */
  readonly previousStatus: CiStatus | null;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly document: CiDocument;
}

export const ciVersionsProjection: ProjectionDefinition<CiVersion> = {
  name: 'ciVersions',
  version: 2, // 2: previousStatus, and the fields of baselines and transition reports
  kind: 'temporal',
  keyType: 'text',
  key: (doc) => doc.ciId,
  partition: 'key',
  fields: {
    ...ciDocumentFields,
    // A baseline taken at a log position finds each CI's version as of that position.
    position: { type: 'integer', of: (doc) => doc.position },
    // 1 when the revision changed the status (a lifecycle transition), else 0.
    transition: {
      type: 'integer',
      of: (doc) => (doc.previousStatus !== null && doc.previousStatus !== doc.document.status ? 1 : 0),
    },
  },
  indexes: [
    { name: 'ci_versions_transitions', fields: ['transition', 'validFrom'] },
    // Counting the estate by type and status as of any instant reads this index alone.
    { name: 'ci_versions_by_type_status', fields: ['type', 'status', 'validFrom', 'validTo'] },
  ],
  // What an inventory page as of T, and one CI as of T or at a revision, read of each CI (its revision
  // and validFrom are columns already), handed out as stored (findJson, CI_JSON_MEMBERS).
  membersReadAsJson: ['ciId', 'document'],
  handles: ['CiRegistered', 'CiChanged', 'CiRetired', 'CiRestored'],
  project(open, recorded) {
    const next = {
      ciId: recorded.ciId,
      position: recorded.position,
      eventType: recorded.event.type,
      previousStatus: open[0]?.document.status ?? null,
      document: evolveDocument(open[0]?.document, recorded.event),
    };
    return versionWrites<CiVersion>((doc) => doc.ciId, open, [next], recorded);
  },
};

const VIEW = ciVersionsProjection.name;

export const ciVersionQueries = {
  /** The version of the CI valid at `at` (ms since the epoch), if it existed then. */
  async at(views: ViewReader, ciId: string, at: number): Promise<CiVersion | undefined> {
    const [version] = await views.find<CiVersion>(VIEW, atQuery(ciId, at));
    return version;
  },

  /** As `at`, the CI as the JSON texts it is answered from (CiJsonMembers), unparsed. */
  async atJson(views: ViewReader, ciId: string, at: number): Promise<CiJsonMembers | undefined> {
    const [version] = await views.findJson(VIEW, atQuery(ciId, at), CI_JSON_MEMBERS);
    return version as CiJsonMembers | undefined;
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
    const [version] = await views.find<CiVersion>(VIEW, byRevisionQuery(ciId, revision));
    return version;
  },

  /** As `byRevision`, as JSON texts (CiJsonMembers), unparsed. */
  async byRevisionJson(views: ViewReader, ciId: string, revision: number): Promise<CiJsonMembers | undefined> {
    const [version] = await views.findJson(VIEW, byRevisionQuery(ciId, revision), CI_JSON_MEMBERS);
    return version as CiJsonMembers | undefined;
  },

  /**
   * The revisions that changed a CI's status, recorded in [since, until], in
   * (validFrom, ciId) order, after the keyset `after` (exactly: the rest of
   * its instant first, then what follows).
   */
  async transitions(
    views: ViewReader,
    query: { since: number; until: number; after?: { validFrom: number; ciId: string } | undefined; limit: number },
  ): Promise<CiVersion[]> {
    const page = (where: Condition[], limit: number) =>
      views.find<CiVersion>(VIEW, {
        where: [
          { field: 'transition', op: '=', value: 1 },
          ...where,
          { field: 'validFrom', op: '<=', value: query.until },
        ],
        orderBy: [
          { field: 'validFrom', direction: 'asc' },
          { field: 'key', direction: 'asc' },
        ],
        limit,
      });
    const { after } = query;
    if (!after) return page([{ field: 'validFrom', op: '>=', value: query.since }], query.limit);
    const sameInstant = await page(
      [
        { field: 'validFrom', op: '=', value: after.validFrom },
        { field: 'key', op: '>', value: after.ciId },
      ],
      query.limit,
    );
    if (sameInstant.length === query.limit) return sameInstant;
    const later = await page(
      [{ field: 'validFrom', op: '>', value: after.validFrom }],
      query.limit - sameInstant.length,
    );
    return [...sameInstant, ...later];
  },

  /** Every CI as it stood at `at`, in id order. */
  listAt(views: ViewReader, at: number, query: CiListQuery): Promise<CiVersion[]> {
    return views.find<CiVersion>(VIEW, listAtQuery(at, query));
  },

  /** As listAt, each CI as the JSON texts it is answered from (a version's validFrom is its time recorded). */
  async listAtJson(views: ViewReader, at: number, query: CiListQuery): Promise<CiJsonMembers[]> {
    return (await views.findJson(VIEW, listAtQuery(at, query), CI_JSON_MEMBERS)) as CiJsonMembers[];
  },
};

/** A version's CiJsonMembers: its validFrom is the time its revision was recorded. */
const CI_JSON_MEMBERS = ['ciId', 'revision', 'validFrom', 'document'];

function atQuery(ciId: string, at: number): DocQuery {
  return {
    where: [{ field: 'key', op: '=', value: ciId }],
    asOf: at,
    // Newest first: the first version that began by `at` is the only one that can hold at `at`.
    orderBy: [{ field: 'validFrom', direction: 'desc' }],
    limit: 1,
    index: asOfIndex(VIEW),
  };
}

function byRevisionQuery(ciId: string, revision: number): DocQuery {
  return {
    where: [
      { field: 'key', op: '=', value: ciId },
      { field: 'revision', op: '=', value: revision },
    ],
    limit: 1,
  };
}

function listAtQuery(at: number, query: CiListQuery): DocQuery {
  return {
    where: ciListConditions(query),
    asOf: at,
    orderBy: [{ field: 'key', direction: 'asc' }],
    limit: query.limit,
    // Walks the versions in (key, validFrom) order, keeping the one per CI whose window holds `at`.
    index: asOfIndex(VIEW),
  };
}
