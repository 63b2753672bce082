import { z } from 'zod';
import './zod-messages';
import { MAX_ATTRIBUTE_DEPTH, findShapeIssue } from './json-shape';
import { JsonValueSchema } from './json-value';

/**
 * The configuration item (CI) as declared by its owners. Declared once here as
 * zod schemas; the TypeScript types are inferred from them.
 */

export const CI_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

export const CiIdSchema = z
  .string()
  .regex(CI_ID_PATTERN, 'must be 1-128 characters: letters, digits and . _ : @ -, starting with a letter or digit');

export const LIFECYCLE_STATUSES = [
  'planned',
  'ordered',
  'in_stock',
  'live',
  'maintenance',
  'retired',
  'disposed',
] as const;

export const CiStatusSchema = z.enum(LIFECYCLE_STATUSES, {
  error: () => `must be one of ${LIFECYCLE_STATUSES.join(', ')}`,
});
export type CiStatus = z.infer<typeof CiStatusSchema>;

export const DEFAULT_STATUS: CiStatus = 'live';

/** CI types and relationship types are open vocabularies, but must be tokens. */
const TOKEN_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const TokenSchema = z
  .string()
  .regex(TOKEN_PATTERN, 'must be 1-64 characters: letters, digits and . _ -, starting with a letter or digit');

export const CiNameSchema = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

/**
 * Attribute values are kept exactly as sent (null included), so the schema
 * only requires a JSON object, at most MAX_ATTRIBUTE_DEPTH levels deep and
 * without `__proto__` keys (see findShapeIssue).
 */
export const AttributesSchema = z
  .unknown()
  // Checked on the raw input, before the record is parsed (a failed refinement stops the pipe):
  // parsing rebuilds the record, and a rebuilt object loses a __proto__ key.
  .superRefine((raw, ctx) => {
    const issue = findShapeIssue(raw, MAX_ATTRIBUTE_DEPTH);
    if (issue) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  })
  .pipe(z.record(z.string(), JsonValueSchema));

export type Attributes = z.infer<typeof AttributesSchema>;

export const RelationshipSchema = z.strictObject({
  type: TokenSchema,
  target: CiIdSchema,
});
export type Relationship = z.infer<typeof RelationshipSchema>;

export const RelationshipsSchema = z
  .array(RelationshipSchema)
  .max(10_000, 'must hold at most 10000 relationships')
  .superRefine((relationships, ctx) => {
    const seen = new Map<string, number>();
    relationships.forEach((relationship, index) => {
      const key = `${relationship.type}\u0000${relationship.target}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `duplicates relationships[${first}] (${relationship.type} → ${relationship.target})`,
        });
      } else {
        seen.set(key, index);
      }
    });
  });

/** The CI document: what JSON Patches in history, diffs and restores are relative to. */
export const CiDocumentSchema = z.strictObject({
  type: TokenSchema,
  name: CiNameSchema,
  status: CiStatusSchema,
  attributes: AttributesSchema,
  relationships: RelationshipsSchema,
});
export type CiDocument = z.infer<typeof CiDocumentSchema>;

/**
 * Relationships are a set: they are kept in one canonical order (type, then
 * target) so that a discovery tool re-sending them in another order does not
 * produce a new revision.
 */
export function canonicalRelationships(relationships: readonly Relationship[]): Relationship[] {
  return [...relationships].sort((a, b) =>
    a.type === b.type ? compareStrings(a.target, b.target) : compareStrings(a.type, b.type),
  );
}

function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Builds a CI document in canonical form. */
export function ciDocument(input: CiDocument): CiDocument {
  return {
    type: input.type,
    name: input.name,
    status: input.status,
    attributes: input.attributes,
    relationships: canonicalRelationships(input.relationships),
  };
}
