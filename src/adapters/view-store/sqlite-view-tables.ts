import {
  asOfIndex,
  builtInIndexes,
  layoutSignature,
  type CountQuery,
  type DocQuery,
  type FieldValue,
  type IndexSpec,
  type StoredView,
  type ViewDoc,
  type TemporalDoc,
} from '../../ports/view-store';

/**
 * How the SQLite view store lays out any view as a table, from its
 * declaration alone (StoredView): the built-in columns of its kind, one
 * column per declared field, and the document as JSON. Shared by the live
 * writer (guarded upserts), the bulk loader (plain inserts) and the queries,
 * so none can store or read a document differently.
 *
 * Times are integers (ms since the epoch) so range queries use integer
 * indexes. A temporal view's document is stored without its validity window,
 * which lives in its columns: closing a version then updates one column. The
 * members a view reads as JSON (`membersReadAsJson`) are stored apart, each
 * as its JSON text in a column of its own, and `_doc` holds the rest: a page
 * then selects a CI's document as it was written, where `_doc -> '$.member'`
 * made SQLite parse the whole stored document for each row (about 5 µs for a
 * CI's 700 bytes, half of an inventory page's time in SQL).
 */
export class SqliteViewTable {
  readonly table: string;
  /** Insert column order. */
  readonly columns: readonly string[];
  private readonly fieldNames: readonly string[];
  private readonly partitionIsKey: boolean;
  /** Where replaceDocument's parameters are in a row, in their order. */
  private readonly replaceOrder: readonly number[];
  /** Each field's value as stored, in column order (rows are made per document written: keep it direct). */
  private readonly fieldValues: readonly ((doc: ViewDoc) => FieldValue)[];
  /** The members stored apart from `_doc`, each in its column (memberColumn), in declaration order. */
  private readonly apart: readonly string[];
  /** What `_doc` leaves out: the members stored apart, and a temporal view's validity. */
  private readonly leftOut: ReadonlySet<string>;

  constructor(readonly view: StoredView) {
    this.table = quote(`view_${view.name}`);
    this.partitionIsKey = view.partition === 'key';
    this.fieldNames = Object.keys(view.fields);
    this.fieldValues = this.fieldNames.map((name) => {
      const spec = view.fields[name]!;
      return spec.type === 'time'
        ? (doc: ViewDoc) => storedValue('time', spec.of(doc))
        : (doc: ViewDoc) => spec.of(doc);
    });
    this.apart = view.membersReadAsJson ?? [];
    for (const member of this.apart) {
      // Member names become column names and JSON paths: names the code chooses, never user input.
      if (!PLAIN_MEMBER.test(member)) throw new Error(`view ${view.name}: not a plain member name: "${member}"`);
      if (view.kind === 'temporal' && (member === 'validFrom' || member === 'validTo'))
        throw new Error(`view ${view.name}: a temporal view's ${member} is kept in its own column already`);
    }
    this.leftOut = new Set([...(view.kind === 'temporal' ? ['validFrom', 'validTo'] : []), ...this.apart]);
    this.columns = [
      '_key',
      ...(this.partitionIsKey ? [] : ['_partition']),
      '_revision',
      ...(view.kind === 'temporal' ? ['_valid_from', '_valid_to'] : []),
      ...this.fieldNames.map(fieldColumn),
      '_doc',
      ...this.apart.map(memberColumn),
    ];
    const at = (column: string) => this.columns.indexOf(column);
    this.replaceOrder = [
      '_revision',
      '_doc',
      ...this.apart.map(memberColumn),
      '_key',
      '_revision',
      ...this.comparedColumns(),
    ].map(at);
  }

  get name(): string {
    return this.view.name;
  }

  /** Tells a stored layout from another: a table whose signature changed is dropped and rebuilt. */
  signature(): string {
    // `sqlite 2`: temporal tables keyed by (key, validFrom, revision); `sqlite 3`: members stored apart;
    // `sqlite 4`: every table has a rowid. Older files rebuild their views. A table keyed by an integer
    // had its rowid already and is laid out as in `sqlite 3`: the change feed is not rebuilt for nothing.
    const layout = this.view.kind !== 'temporal' && this.view.keyType === 'integer' ? 3 : 4;
    return `sqlite ${layout} ${JSON.stringify(this.apart)} ${layoutSignature(this.view)}`;
  }

  createTable(): string {
    const key = this.view.keyType === 'integer' ? '_key INTEGER NOT NULL' : '_key TEXT NOT NULL';
    const definitions = [
      key,
      ...(this.partitionIsKey ? [] : ['_partition TEXT NOT NULL']),
      '_revision INTEGER NOT NULL',
      ...(this.view.kind === 'temporal' ? ['_valid_from INTEGER NOT NULL', '_valid_to INTEGER'] : []),
      ...this.fieldNames.map((name) => `${fieldColumn(name)} ${SQL_TYPES[this.view.fields[name]!.type]}`),
      '_doc TEXT NOT NULL',
      // NULL where the document lacks the member ('null' where it holds null).
      ...this.apart.map((member) => `${memberColumn(member)} TEXT`),
      // A temporal view's key is (key, validFrom, revision): "as of T" is one probe of it, which reads
      // no row but the one found; (key, revision) stays unique for upserts.
      ...(this.view.kind === 'temporal'
        ? ['PRIMARY KEY (_key, _valid_from, _revision)', 'UNIQUE (_key, _revision)']
        : ['PRIMARY KEY (_key)']),
    ];
    // Every table has a rowid (an integer key is the rowid itself). Clustered by a text key (WITHOUT
    // ROWID), a B-tree's inner pages hold whole rows: with documents of about 750 bytes, the versions of
    // 21,000 events took 961 inner pages over 4,033 leaves, and projecting wrote 42 KB per event in
    // pages of 10 events. Rows in rowid order under narrow key indexes: 26 KB, and reads no slower.
    return `CREATE TABLE IF NOT EXISTS ${this.table} (${definitions.join(', ')})`;
  }

  /** Every index beyond the primary key: the kind's own and the declared ones (a temporal view's as-of order is its key's). */
  indexes(): IndexSpec[] {
    const asOf = this.view.kind === 'temporal' ? asOfIndex(this.view.name) : undefined;
    return [...builtInIndexes(this.view).filter((index) => index.name !== asOf), ...this.view.indexes];
  }

  createIndexes(): string[] {
    return this.indexes().map(
      (index) =>
        `CREATE INDEX IF NOT EXISTS ${indexName(index.name)} ON ${this.table} (${index.fields.map((f) => this.column(f)).join(', ')})`,
    );
  }

  dropIndexes(): string[] {
    return this.indexes().map((index) => `DROP INDEX IF EXISTS ${indexName(index.name)}`);
  }

  /** The row's values in `columns` order. */
  rowOf(doc: ViewDoc): unknown[] {
    const view = this.view;
    const row: unknown[] = [view.key(doc)];
    if (typeof view.partition === 'function') row.push(view.partition(doc));
    row.push(doc.revision);
    if (view.kind === 'temporal') {
      const { validFrom, validTo } = doc as TemporalDoc;
      row.push(Date.parse(validFrom), validTo === null ? null : Date.parse(validTo));
    }
    for (const value of this.fieldValues) row.push(value(doc));
    const members = doc as unknown as Record<string, unknown>;
    let stored: object = doc;
    if (this.leftOut.size > 0) {
      const rest: Record<string, unknown> = {};
      for (const member in members) if (!this.leftOut.has(member)) rest[member] = members[member];
      stored = rest;
    }
    row.push(JSON.stringify(stored));
    // JSON.stringify's text, the one findJson hands out; undefined (a member the document lacks) is NULL.
    for (const member of this.apart) row.push(JSON.stringify(members[member]) ?? null);
    return row;
  }

  /**
   * A current view's row given a newer revision whose fields are unchanged
   * (most changes touch attributes, not the indexed fields): only its revision
   * and document are set. The upsert sets every column, and SQLite rewrites a
   * row's entry in every index that holds a column set, even to the same
   * value (five entries a change for the current CIs). Changes nothing, for
   * the upsert to do, where the row is missing, newer, or a field changed.
   */
  replaceDocument(): string {
    return (
      `UPDATE ${this.table} SET _revision = ?, _doc = ?` +
      this.apart.map((member) => `, ${memberColumn(member)} = ?`).join('') +
      ` WHERE _key = ? AND _revision <= ?` +
      this.comparedColumns()
        .map((c) => ` AND ${c} IS ?`)
        .join('')
    );
  }

  /** replaceDocument's parameters, from a row in `columns` order (rowOf's). */
  replaceParameters(row: readonly unknown[]): unknown[] {
    return this.replaceOrder.map((column) => row[column]);
  }

  /** The columns replaceDocument leaves as they are, and so requires unchanged. */
  private comparedColumns(): string[] {
    const document = new Set(['_key', '_revision', '_doc', ...this.apart.map(memberColumn)]);
    return this.columns.filter((c) => !document.has(c));
  }

  /** The stored row a document lands on, as one value (to coalesce writes in memory). */
  rowKey(doc: ViewDoc): string | number {
    const key = this.view.key(doc);
    return this.view.kind === 'temporal' ? `${key}\u0000${doc.revision}` : key;
  }

  /** The columns a read selects, for docOf. */
  readColumns(): string {
    return [
      ...(this.view.kind === 'temporal' ? ['_valid_from', '_valid_to'] : []),
      '_doc',
      ...this.apart.map(memberColumn),
    ].join(', ');
  }

  docOf(row: { _doc: string; _valid_from?: number; _valid_to?: number | null }): ViewDoc {
    const doc = JSON.parse(row._doc) as ViewDoc;
    if (this.apart.length > 0) {
      // The members stored apart come after the rest: key order is not part of a view's document.
      const members = doc as unknown as Record<string, unknown>;
      const texts = row as unknown as Record<string, string | null>;
      for (const member of this.apart) {
        const text = texts[memberColumn(member)];
        if (text !== null && text !== undefined) members[member] = JSON.parse(text);
      }
    }
    if (this.view.kind !== 'temporal') return doc;
    // The parsed object is this call's own: completed in place, in the key order a copy would have
    // (the stored document lacks both). Copying it was 2.3 µs of the 6 a version took to read.
    const version = doc as unknown as Record<string, unknown>;
    version['validFrom'] = new Date(row._valid_from!).toISOString();
    version['validTo'] =
      row._valid_to === null || row._valid_to === undefined ? null : new Date(row._valid_to).toISOString();
    return doc as TemporalDoc;
  }

  /** An upsert that keeps the stored row where the kind's rule says so (see ViewKind). */
  upsert(): string {
    const insert = `INSERT INTO ${this.table} (${this.columns.join(', ')}) VALUES (${this.columns.map(() => '?').join(', ')})`;
    const conflict = this.view.kind === 'temporal' ? '(_key, _revision)' : '(_key)';
    if (this.view.kind === 'log') return `${insert} ON CONFLICT ${conflict} DO NOTHING`;
    const set = this.columns
      .filter((c) => c !== '_key' && (this.view.kind !== 'temporal' || c !== '_revision'))
      .map((c) => `${c} = excluded.${c}`)
      .join(', ');
    const keep =
      this.view.kind === 'current'
        ? `excluded._revision >= ${this.table}._revision`
        : `excluded._valid_to IS NOT NULL OR ${this.table}._valid_to IS NULL`;
    return `${insert} ON CONFLICT ${conflict} DO UPDATE SET ${set} WHERE ${keep}`;
  }

  /** For a temporal view: closing a stored version sets its validTo and nothing else. */
  closeVersion(): string {
    return `UPDATE ${this.table} SET _valid_to = ? WHERE _key = ? AND _revision = ?`;
  }

  insertOrReplace(): string {
    return `INSERT OR REPLACE INTO ${this.table} (${this.columns.join(', ')}) VALUES (${this.columns.map(() => '?').join(', ')})`;
  }

  /** The state query for one partition (see ViewStore.loadState); temporal-by-key rows are filtered by the caller. */
  stateQuery(): string {
    const read = `SELECT ${this.readColumns()} FROM ${this.table}`;
    switch (this.view.kind) {
      case 'current':
        return `${read} WHERE _key = ?`;
      case 'temporal':
        return this.partitionIsKey
          ? `${read} WHERE _key = ? ORDER BY _revision DESC LIMIT 1`
          : `${read} WHERE _partition = ? AND _valid_to IS NULL`;
      case 'log':
        return `${read} WHERE ${this.column('partition')} = ? ORDER BY _key DESC LIMIT 1`;
    }
  }

  /** A count's SQL and parameters: one row per group, the group's values as g0, g1, … and its count as n. */
  count(query: CountQuery): { sql: string; params: unknown[] } {
    const { clauses, params } = this.conditions(query);
    const groups = query.groupBy.map((field, i) => `${this.column(field)} AS g${i}`);
    const sql =
      `SELECT ${[...groups, 'count(*) AS n'].join(', ')} FROM ${this.table}` +
      (clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '') +
      (groups.length > 0 ? ` GROUP BY ${query.groupBy.map((_, i) => `g${i}`).join(', ')}` : '');
    return { sql, params };
  }

  /**
   * Members of the stored documents as JSON texts (ViewReader.findJson): the
   * columns to select, and how a raw row (an array, in their order) becomes
   * the texts. SQLite's `->` writes a member out as the text it was stored as
   * (JSON.stringify's, in rowOf), without JavaScript parsing the document; a
   * member stored apart is its column as it is. The revision, and a temporal
   * view's validity, live in their own columns and are written out here.
   */
  jsonMembers(members: readonly string[]): { columns: string; texts(row: readonly unknown[]): string[] } {
    const validity = (member: string) =>
      this.view.kind === 'temporal' && (member === 'validFrom' || member === 'validTo');
    const columns = members.map((member) => {
      if (validity(member)) return member === 'validFrom' ? '_valid_from' : '_valid_to';
      // Every view document's revision is an integer, kept in its column: the same text, written out here.
      if (member === 'revision') return '_revision';
      if (this.apart.includes(member)) return memberColumn(member);
      // Members are names the code chooses, never user input; anything else would need quoting in the path.
      if (!PLAIN_MEMBER.test(member)) throw new Error(`not a plain member name: "${member}"`);
      return `_doc -> '$.${member}'`;
    });
    const converters = members.map((member) =>
      validity(member)
        ? (value: unknown) => (value === null ? 'null' : `"${new Date(value as number).toISOString()}"`)
        : member === 'revision'
          ? (value: unknown) => String(value)
          : (value: unknown) => (value === null ? 'null' : (value as string)),
    );
    return {
      columns: columns.join(', '),
      texts: (row) => converters.map((convert, i) => convert(row[i])),
    };
  }

  /** A query's SQL and parameters, selecting `columns` (by default what docOf reads). */
  select(query: DocQuery, columns = this.readColumns()): { sql: string; params: unknown[] } {
    if (this.isAsOfByKey(query)) return this.selectAsOfByKey(query, columns);
    const { clauses, params } = this.conditions(query);
    const order = (query.orderBy ?? [])
      .map(({ field, direction }) => `${this.column(field)} ${direction === 'desc' ? 'DESC' : 'ASC'}`)
      .join(', ');
    const sql =
      `SELECT ${columns} FROM ${this.table}` +
      (query.index ? ` ${this.indexedBy(query.index)}` : '') +
      (clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '') +
      (order ? ` ORDER BY ${order}` : '') +
      // A one-row probe (a CI now, or as of T: the hottest reads) takes its LIMIT as a literal:
      // bound as a parameter, the same plan ran 3 µs slower for a CI now and 10 µs for one as of T
      // (better-sqlite3 12.11, SQLite 3.53). Other limits stay parameters, one prepared statement a shape.
      (query.limit === 1 ? ' LIMIT 1' : ' LIMIT ?');
    if (query.limit !== 1) params.push(query.limit);
    return { sql, params };
  }

  /** Forces an index; a temporal view's as-of order is its primary key's. */
  private indexedBy(index: string): string {
    return this.view.kind === 'temporal' && index === asOfIndex(this.view.name)
      ? this.byPrimaryKey()
      : `INDEXED BY ${indexName(index)}`;
  }

  /**
   * Forces the primary key's index, which SQLite names after the first of
   * the table's constraints (createTable declares it first); the
   * planner would otherwise take the smaller (key, revision) index for an
   * equality and then read the table too. A test checks the plans.
   */
  private byPrimaryKey(): string {
    return `INDEXED BY ${quote(`sqlite_autoindex_view_${this.view.name}_1`)}`;
  }

  /** Documents as of an instant, in key order (an inventory page as of T): see selectAsOfByKey. */
  private isAsOfByKey(query: DocQuery): boolean {
    const order = query.orderBy ?? [];
    return (
      query.asOf !== undefined &&
      this.view.kind === 'temporal' &&
      order.length === 1 &&
      order[0]!.field === 'key' &&
      order[0]!.direction !== 'desc'
    );
  }

  /**
   * As of T in key order, one index seek per key rather than a walk over
   * every version: the keys are enumerated by a loose index scan (a recursive
   * CTE stepping to the next key), and for each the version with the latest
   * `validFrom <= T` is the only one whose window can hold T. Walking the
   * versions read every revision before T of every key on the page (25 ms for
   * 20 CIs of 1,000 revisions; this takes 0.12 ms); the outer LIMIT stops the
   * recursion once the page is full. Other conditions filter the versions
   * found; a lower bound on the key (the page cursor) also seeds the scan.
   * CROSS JOIN keeps the keys the outer loop (SQLite never reorders it), so
   * the rows come in key order without a sort, whatever index a filter has.
   * The probe answers the version's rowid (the primary key's index holds
   * it) and the row is read by it: joining on the probe's (key, validFrom,
   * revision) sought the same entry in the primary key's index a second time.
   */
  private selectAsOfByKey(query: DocQuery, columns: string): { sql: string; params: unknown[] } {
    const at = query.asOf!;
    const seed = (query.where ?? []).findLast((c) => c.field === 'key' && (c.op === '>' || c.op === '>=')) as
      { readonly op: '>' | '>='; readonly value: string | number } | undefined;
    const { clauses, params: filterParams } = this.conditions({ where: query.where });
    const t = this.table;
    const sql =
      `WITH RECURSIVE keys(k) AS (` +
      `SELECT (SELECT _key FROM ${t}${seed ? ` WHERE _key ${seed.op} ?` : ''} ORDER BY _key LIMIT 1) ` +
      `UNION ALL SELECT (SELECT _key FROM ${t} WHERE _key > keys.k ORDER BY _key LIMIT 1) FROM keys WHERE keys.k IS NOT NULL) ` +
      `SELECT ${columns} FROM keys CROSS JOIN ${t} ON ${t}.rowid = (` +
      `SELECT rowid FROM ${t} ${this.byPrimaryKey()} ` +
      `WHERE _key = keys.k AND _valid_from <= ? ORDER BY _valid_from DESC, _revision DESC LIMIT 1) ` +
      `WHERE (_valid_to IS NULL OR _valid_to > ?)` +
      clauses.map((clause) => ` AND ${clause}`).join('') +
      ' LIMIT ?';
    return { sql, params: [...(seed ? [seed.value] : []), at, at, ...filterParams, query.limit] };
  }

  private conditions(query: Pick<DocQuery, 'where' | 'asOf'>): { clauses: string[]; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    for (const condition of query.where ?? []) {
      const column = this.column(condition.field);
      if (condition.op === 'in' && condition.values.length === 1) {
        // One value (the edges into one CI, its hottest use) is an equality: a plain index seek,
        // without a json_each table to build and join.
        clauses.push(`${column} = ?`);
        params.push(condition.values[0]);
      } else if (condition.op === 'in') {
        // One parameter for any number of values; SQLite still reads the index once per value.
        clauses.push(`${column} IN (SELECT value FROM json_each(?))`);
        params.push(JSON.stringify(condition.values));
      } else {
        clauses.push(`${column} ${condition.op} ?`);
        params.push(condition.value);
      }
    }
    if (query.asOf !== undefined) {
      if (this.view.kind !== 'temporal') throw new Error(`view ${this.view.name} is not temporal: no asOf`);
      // The as-of rule: validFrom <= T < validTo.
      clauses.push('_valid_from <= ? AND (_valid_to IS NULL OR _valid_to > ?)');
      params.push(query.asOf, query.asOf);
    }
    return { clauses, params };
  }

  /** The column of a built-in or declared field. */
  column(field: string): string {
    switch (field) {
      case 'key':
        return '_key';
      case 'partition':
        return this.partitionIsKey ? '_key' : '_partition';
      case 'revision':
        return '_revision';
      case 'validFrom':
        return '_valid_from';
      case 'validTo':
        return '_valid_to';
    }
    if (!(field in this.view.fields)) throw new Error(`view ${this.view.name} has no field "${field}"`);
    return fieldColumn(field);
  }
}

const SQL_TYPES = { text: 'TEXT', integer: 'INTEGER', time: 'INTEGER' } as const;

function storedValue(type: keyof typeof SQL_TYPES, value: FieldValue): FieldValue {
  return type === 'time' && typeof value === 'string' ? Date.parse(value) : value;
}

function fieldColumn(name: string): string {
  return quote(`f_${name}`);
}

/** A member stored apart (a plain name, so its column needs no quoting and reads back under this name). */
function memberColumn(member: string): string {
  return `_m_${member}`;
}

const PLAIN_MEMBER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function indexName(name: string): string {
  return quote(`ix_${name}`);
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
