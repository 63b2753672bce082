import {
  builtInIndexes,
  layoutSignature,
  type CountQuery,
  type DocQuery,
  type FieldType,
  type StoredView,
  type TemporalDoc,
  type ViewDoc,
} from '../../ports/view-store';

/**
 * Pure translation between any view's documents and MongoDB documents, and
 * of its queries into filters, sorts and hints, from the view's declaration
 * alone (StoredView). Kept apart from the driver so that it is unit-tested
 * without a server and so that the integration test explains exactly the
 * queries the adapter runs.
 *
 * A stored document is `{_id, _k, _p, _r, _from, _to, f: {fields}, doc}`:
 * the built-ins and declared fields queries use (times as BSON dates, ms
 * precision like ours) beside the view's document kept as it is.
 */

export const PROJECTION_CHECKPOINTS = 'projection_checkpoints';
export const CONSUMER_CHECKPOINTS = 'consumer_checkpoints';
/** The layout each view's collection was created with (MongoViewCollection.signature). */
export const VIEW_LAYOUTS = 'view_layouts';
export const LEASES = 'leases';

/**
 * Takes or renews a lease in one atomic upsert, timed by the server's clock
 * (`$$NOW`), so instances whose clocks disagree still agree. When another
 * holds it unexpired the filter matches nothing and the upsert collides with
 * the existing `_id` (duplicate key): not acquired.
 */
export function leaseUpdate(name: string, holder: string, ttlMs: number): { filter: Doc; update: Doc[] } {
  return {
    filter: { _id: name, $expr: { $or: [{ $eq: ['$holder', holder] }, { $lte: ['$expiresAt', '$$NOW'] }] } },
    update: [{ $set: { holder, expiresAt: { $add: ['$$NOW', ttlMs] } } }],
  };
}

type Doc = Record<string, unknown>;

export interface MongoIndexSpec {
  readonly name: string;
  readonly key: Record<string, 1 | -1>;
}

export interface GuardedWrite {
  /** An upserting pipeline update: replaces the document unless the stored one must be kept. */
  readonly updateOne: { filter: Doc; update: Doc[]; upsert: true };
}

export interface FindSpec {
  readonly filter: Doc;
  readonly sort: Record<string, 1 | -1>;
  readonly limit: number;
  /** The index the query is written for (forced, so a plan change cannot turn it into a scan). */
  readonly hint?: string;
}

export class MongoViewCollection {
  readonly collection: string;
  private readonly partitionIsKey: boolean;

  constructor(readonly view: StoredView) {
    this.collection = `view_${view.name}`;
    this.partitionIsKey = view.partition === 'key';
  }

  get name(): string {
    return this.view.name;
  }

  signature(): string {
    return layoutSignature(this.view);
  }

  /** The kind's indexes, the declared ones, and a temporal view's (key, revision) for its state and revision reads. */
  indexes(): MongoIndexSpec[] {
    const specs = [...builtInIndexes(this.view), ...this.view.indexes].map((index) => ({
      name: index.name,
      key: Object.fromEntries(index.fields.map((field) => [this.path(field), 1])) as Record<string, 1 | -1>,
    }));
    if (this.view.kind === 'temporal') specs.push({ name: `${this.view.name}_by_revision`, key: { _k: 1, _r: -1 } });
    return specs;
  }

  storedId(doc: ViewDoc): string | number {
    const key = this.view.key(doc);
    return this.view.kind === 'temporal' ? `${key}#${doc.revision}` : key;
  }

  toStored(doc: ViewDoc): Doc {
    const view = this.view;
    const stored: Doc = { _id: this.storedId(doc), _k: view.key(doc) };
    if (typeof view.partition === 'function') stored['_p'] = view.partition(doc);
    stored['_r'] = doc.revision;
    if (view.kind === 'temporal') {
      const { validFrom, validTo } = doc as TemporalDoc;
      stored['_from'] = new Date(validFrom);
      stored['_to'] = validTo === null ? null : new Date(validTo);
    }
    stored['f'] = Object.fromEntries(
      Object.entries(view.fields).map(([name, spec]) => [name, storedValue(spec.type, spec.of(doc))]),
    );
    stored['doc'] = doc;
    return stored;
  }

  fromStored(stored: Doc): ViewDoc {
    return stored['doc'] as ViewDoc;
  }

  /**
   * A write that is safe to replay, decided by the server in one atomic
   * update by the kind's rule (see ViewKind). `$literal` keeps the document's
   * own keys (attributes may hold `$` or `.`) from being read as expressions.
   */
  guardedWrite(doc: ViewDoc): GuardedWrite {
    let keepStored: Doc;
    switch (this.view.kind) {
      case 'current':
        keepStored = { $gt: [{ $ifNull: ['$_r', 0] }, doc.revision] };
        break;
      case 'temporal':
        keepStored = (doc as TemporalDoc).validTo === null ? exists('$_r') : { $literal: false };
        break;
      case 'log':
        keepStored = exists('$_r');
        break;
    }
    return {
      updateOne: {
        filter: { _id: this.storedId(doc) },
        update: [
          { $replaceWith: { $cond: { if: keepStored, then: '$$ROOT', else: { $literal: this.toStored(doc) } } } },
        ],
        upsert: true,
      },
    };
  }

  /**
   * The state of the partitions (see ViewStore.loadState): a filter for
   * current and temporal views (open versions, filtered by the caller when
   * the partition is the key), an aggregation for a log's newest entries.
   */
  statePipeline(partitions: readonly string[]): Doc[] {
    const ids = [...new Set(partitions)];
    switch (this.view.kind) {
      case 'current':
        return [{ $match: { _id: { $in: ids } } }];
      case 'temporal':
        return this.partitionIsKey
          ? [
              { $match: { _k: { $in: ids } } },
              { $sort: { _k: 1, _r: -1 } },
              { $group: { _id: '$_k', stored: { $first: '$$ROOT' } } },
              { $replaceWith: '$stored' },
              { $match: { _to: null } },
            ]
          : [{ $match: { _p: { $in: ids }, _to: null } }];
      case 'log':
        return [
          { $match: { _p: { $in: ids } } },
          { $sort: { _p: -1, _id: -1 } }, // the (_p, _id) index walked backwards
          { $group: { _id: '$_p', stored: { $first: '$$ROOT' } } },
          { $replaceWith: '$stored' },
        ];
    }
  }

  /** The partition a stored document belongs to. */
  partitionOf(stored: Doc): string {
    return String(this.partitionIsKey ? stored['_k'] : stored['_p']);
  }

  /** An aggregation pipeline counting the matching documents per group (`_id` holds the group's values). */
  countPipeline(query: CountQuery): Doc[] {
    const { filter } = this.findSpec({ ...query, limit: 0 });
    const id = Object.fromEntries(query.groupBy.map((field, i) => [`g${i}`, `$${this.path(field)}`]));
    return [{ $match: filter }, { $group: { _id: id, n: { $sum: 1 } } }];
  }

  findSpec(query: DocQuery): FindSpec {
    const filter: Doc = {};
    const at = (path: string): Doc => {
      const existing = filter[path] as Doc | undefined;
      if (existing) return existing;
      const created: Doc = {};
      filter[path] = created;
      return created;
    };
    for (const condition of query.where ?? []) {
      const path = this.path(condition.field);
      const type = this.typeOf(condition.field);
      if (condition.op === 'in') at(path)['$in'] = condition.values.map((value) => queryValue(type, value));
      else at(path)[OPERATORS[condition.op]] = queryValue(type, condition.value);
    }
    if (query.asOf !== undefined) {
      if (this.view.kind !== 'temporal') throw new Error(`view ${this.view.name} is not temporal: no asOf`);
      // The as-of rule: validFrom <= T < validTo.
      const when = new Date(query.asOf);
      at('_from')['$lte'] = when;
      filter['$or'] = [{ _to: null }, { _to: { $gt: when } }];
    }
    const sort = Object.fromEntries(
      (query.orderBy ?? []).map(({ field, direction }) => [this.path(field), direction === 'desc' ? -1 : 1]),
    ) as Record<string, 1 | -1>;
    return { filter, sort, limit: query.limit, ...(query.index ? { hint: query.index } : {}) };
  }

  /** Where a built-in or declared field is stored. */
  path(field: string): string {
    switch (field) {
      case 'key':
        return this.view.kind === 'temporal' ? '_k' : '_id';
      case 'partition':
        return this.partitionIsKey ? this.path('key') : '_p';
      case 'revision':
        return '_r';
      case 'validFrom':
        return '_from';
      case 'validTo':
        return '_to';
    }
    if (!(field in this.view.fields)) throw new Error(`view ${this.view.name} has no field "${field}"`);
    return `f.${field}`;
  }

  private typeOf(field: string): FieldType {
    if (field === 'validFrom' || field === 'validTo') return 'time';
    if (field === 'revision') return 'integer';
    if (field === 'key' || field === 'partition')
      return this.view.keyType === 'integer' && field === 'key' ? 'integer' : 'text';
    return this.view.fields[field]!.type;
  }
}

const OPERATORS = { '=': '$eq', '<>': '$ne', '<': '$lt', '<=': '$lte', '>': '$gt', '>=': '$gte' } as const;

function storedValue(type: FieldType, value: string | number | null): unknown {
  return type === 'time' && typeof value === 'string' ? new Date(value) : value;
}

function queryValue(type: FieldType, value: string | number): unknown {
  return type === 'time' ? new Date(value) : value;
}

function exists(field: string): Doc {
  return { $ne: [{ $type: field }, 'missing'] };
}
