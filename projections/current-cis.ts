import { evolveDocument, type CiDocument, type CiStatus } from '../src/domain';
import type { Condition, DocQuery, FieldSpec, ViewReader } from '../src/ports/view-store';
import type { ProjectionDefinition } from './projection';

/** The current state of every CI: one document per CI. */
export interface CurrentCi {
  readonly ciId: string;
  readonly revision: number;
  readonly position: number;
  readonly recordedAt: string;
  readonly document: CiDocument;
}

/** The fields CI lists filter on, in any view whose documents hold a CI document. */
export const ciDocumentFields: Readonly<Record<'type' | 'status', FieldSpec<{ readonly document: CiDocument }>>> = {
  type: { type: 'text', of: (doc) => doc.document.type },
  status: { type: 'text', of: (doc) => doc.document.status },
};

export const currentCisProjection: ProjectionDefinition<CurrentCi> = {
  name: 'currentCis',
  version: 1,
  kind: 'current',
  keyType: 'text',
  key: (doc) => doc.ciId,
  partition: 'key',
  fields: {
    ...ciDocumentFields,
    // The end dates renewals are watched on, by their usual names (a type may name others: see the renewals report).
    warrantyEnd: { type: 'text', of: (doc) => endDate(doc.document, 'warrantyEnd') },
    licenceEnd: { type: 'text', of: (doc) => endDate(doc.document, 'licenceEnd') },
    supportEnd: { type: 'text', of: (doc) => endDate(doc.document, 'supportEnd') },
  },
  indexes: [
    { name: 'current_cis_by_type', fields: ['type', 'key'] },
    // Counting the estate by type and status (the status report) reads this index alone.
    { name: 'current_cis_by_type_status', fields: ['type', 'status'] },
    { name: 'current_cis_by_warranty_end', fields: ['warrantyEnd', 'key'] },
    { name: 'current_cis_by_licence_end', fields: ['licenceEnd', 'key'] },
    { name: 'current_cis_by_support_end', fields: ['supportEnd', 'key'] },
  ],
  // What an inventory page and GET /cis/{id} read of each CI (its revision is a column already), handed
  // out as stored (findJson, CI_JSON_MEMBERS).
  membersReadAsJson: ['ciId', 'recordedAt', 'document'],
  handles: ['CiRegistered', 'CiChanged', 'CiRetired', 'CiRestored'],
  project([latest], recorded) {
    return [
      {
        ciId: recorded.ciId,
        revision: recorded.revision,
        position: recorded.position,
        recordedAt: recorded.recordedAt,
        document: evolveDocument(latest?.document, recorded.event),
      },
    ];
  },
};

/** The usual end-date attribute names, and what each is the end of. */
export const END_DATE_ATTRIBUTES = { warrantyEnd: 'warranty', licenceEnd: 'licence', supportEnd: 'support' } as const;

/** An attribute holding an ISO date (`2027-03-31`, or a date-time): kept as text, which sorts as the dates do. */
export function endDate(document: CiDocument, attribute: string): string | null {
  const value = document.attributes[attribute];
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? value : null;
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

/** The conditions of a CI list, on any view with `type` and `status` fields keyed by CI. */
export function ciListConditions(query: CiListQuery): Condition[] {
  const where: Condition[] = [];
  if (query.afterCiId !== undefined) where.push({ field: 'key', op: '>', value: query.afterCiId });
  if (query.type !== undefined) where.push({ field: 'type', op: '=', value: query.type });
  if (query.status !== undefined) where.push({ field: 'status', op: '=', value: query.status });
  else if (!query.includeRetired) where.push({ field: 'status', op: '<>', value: 'retired' });
  return where;
}

const VIEW = currentCisProjection.name;

export const currentCiQueries = {
  async get(views: ViewReader, ciId: string): Promise<CurrentCi | undefined> {
    const [doc] = await views.find<CurrentCi>(VIEW, byIdQuery(ciId));
    return doc;
  },

  /** As `get`, the CI as the JSON texts it is answered from (CiJsonMembers), unparsed. */
  async getJson(views: ViewReader, ciId: string): Promise<CiJsonMembers | undefined> {
    const [doc] = await views.findJson(VIEW, byIdQuery(ciId), CI_JSON_MEMBERS);
    return doc as CiJsonMembers | undefined;
  },

  /** The CIs among `ciIds` that exist (in no particular order). */
  getMany(views: ViewReader, ciIds: readonly string[]): Promise<CurrentCi[]> {
    const unique = [...new Set(ciIds)];
    return views.find<CurrentCi>(VIEW, { where: [{ field: 'key', op: 'in', values: unique }], limit: unique.length });
  },

  /**
   * CIs whose `attribute` (one of END_DATE_ATTRIBUTES) falls in [from, to]
   * (ISO dates), in (date, CI id) order, after the keyset `after` exactly.
   */
  async endingBetween(
    views: ViewReader,
    attribute: keyof typeof END_DATE_ATTRIBUTES,
    window: { from: string; to: string; after?: { date: string; ciId: string } | undefined },
    limit: number,
  ): Promise<CurrentCi[]> {
    const page = (where: Condition[], size: number) =>
      views.find<CurrentCi>(VIEW, {
        where: [...where, { field: attribute, op: '<=', value: window.to }],
        orderBy: [
          { field: attribute, direction: 'asc' },
          { field: 'key', direction: 'asc' },
        ],
        limit: size,
      });
    const { after } = window;
    if (!after || after.date < window.from) return page([{ field: attribute, op: '>=', value: window.from }], limit);
    const sameDate = await page(
      [
        { field: attribute, op: '=', value: after.date },
        { field: 'key', op: '>', value: after.ciId },
      ],
      limit,
    );
    if (sameDate.length === limit) return sameDate;
    return [...sameDate, ...(await page([{ field: attribute, op: '>', value: after.date }], limit - sameDate.length))];
  },

  /** In CI id order. */
  list(views: ViewReader, query: CiListQuery): Promise<CurrentCi[]> {
    return views.find<CurrentCi>(VIEW, listQuery(query));
  },

  /** As list, each CI as the JSON texts it is answered from (CiJsonMembers), unparsed. */
  async listJson(views: ViewReader, query: CiListQuery): Promise<CiJsonMembers[]> {
    return (await views.findJson(VIEW, listQuery(query), CI_JSON_MEMBERS)) as CiJsonMembers[];
  },
};

const CI_JSON_MEMBERS = ['ciId', 'revision', 'recordedAt', 'document'];

function byIdQuery(ciId: string): DocQuery {
  return { where: [{ field: 'key', op: '=', value: ciId }], limit: 1 };
}

function listQuery(query: CiListQuery): DocQuery {
  return { where: ciListConditions(query), orderBy: [{ field: 'key', direction: 'asc' }], limit: query.limit };
}

/** A CI as the JSON texts of its id, revision, time recorded and document, as a view holds them. */
export type CiJsonMembers = [ciId: string, revision: string, recordedAt: string, document: string];
