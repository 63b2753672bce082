import { z } from 'zod';

/**
 * How CSV columns become a CI's desired state. A column maps to `id`,
 * `type`, `name`, `status`, `attributes.<path>` (dots nest: `attributes.cpu.cores`)
 * or `relationships.<type>` (targets separated by `;`). A column already
 * named so needs no mapping entry. Values are text unless the entry says
 * `as`: integer, number, boolean, json. Empty cells are left out.
 */
const TargetSchema = z
  .string()
  .regex(/^(id|type|name|status|attributes(\.[^.]+)+|relationships\.[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/, {
    error: 'must be id, type, name, status, attributes.<name>[.<name>…] or relationships.<type>',
  });
const ValueTypeSchema = z.enum(['string', 'integer', 'number', 'boolean', 'json']);

export const CsvMappingSchema = z.strictObject({
  columns: z
    .record(
      z.string(),
      z.union([TargetSchema, z.strictObject({ to: TargetSchema, as: ValueTypeSchema.default('string') })]),
    )
    .default({}),
  /** Values for fields no column gives (e.g. `{"type": "server"}`). */
  defaults: z.record(z.string(), z.json()).default({}),
  /** Columns to leave out. */
  ignore: z.array(z.string()).default([]),
  /** Leave out every column that maps to nothing, instead of refusing the file. */
  ignoreUnknownColumns: z.boolean().default(false),
});
export type CsvMapping = z.output<typeof CsvMappingSchema>;

export interface ColumnPlan {
  readonly column: string;
  readonly path: readonly string[];
  readonly as: z.infer<typeof ValueTypeSchema>;
}

/** Each column's target, and the columns that map to nothing (refused unless the mapping ignores them). */
export function planColumns(header: readonly string[], mapping: CsvMapping): { plan: ColumnPlan[]; unknown: string[] } {
  const plan: ColumnPlan[] = [];
  const unknown: string[] = [];
  for (const column of header) {
    if (mapping.ignore.includes(column)) continue;
    const entry = mapping.columns[column];
    const target = typeof entry === 'string' ? entry : entry?.to;
    const as = typeof entry === 'object' ? entry.as : 'string';
    if (target !== undefined) plan.push({ column, path: target.split('.'), as });
    else if (TargetSchema.safeParse(column).success) plan.push({ column, path: column.split('.'), as: 'string' });
    else if (!mapping.ignoreUnknownColumns) unknown.push(column);
  }
  return { plan, unknown };
}

/** One row as a desired state (NDJSON line object); throws with the column named when a value does not convert. */
export function rowToDesired(row: Readonly<Record<string, string>>, plan: readonly ColumnPlan[], mapping: CsvMapping) {
  const desired: Record<string, unknown> = structuredClone(mapping.defaults);
  for (const { column, path, as } of plan) {
    const text = row[column];
    if (text === undefined || text === '') continue;
    if (path[0] === 'relationships') {
      const relationships = (desired['relationships'] ??= []) as { type: string; target: string }[];
      for (const target of text
        .split(';')
        .map((t) => t.trim())
        .filter(Boolean))
        relationships.push({ type: path[1]!, target });
      continue;
    }
    let node = desired;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[path.at(-1)!] = convert(text, as, column);
  }
  return desired;
}

function convert(text: string, as: ColumnPlan['as'], column: string): unknown {
  switch (as) {
    case 'string':
      return text;
    case 'integer':
    case 'number': {
      const value = Number(text);
      if (!Number.isFinite(value) || (as === 'integer' && !Number.isInteger(value)))
        throw new Error(`column ${column}: "${text}" is not ${as === 'integer' ? 'an integer' : 'a number'}`);
      return value;
    }
    case 'boolean':
      if (/^(true|yes|1)$/i.test(text)) return true;
      if (/^(false|no|0)$/i.test(text)) return false;
      throw new Error(`column ${column}: "${text}" is not a boolean (true/false, yes/no, 1/0)`);
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`column ${column}: "${text}" is not JSON`);
      }
  }
}
