import { z } from 'zod';
import { CiStatusSchema, TokenSchema } from './ci';
import { ChangeMetadataSchema } from './events';

/**
 * A CI type (class): what CIs of that type must look like. Declared by an
 * admin with PUT /types/{type}; versioned by events like CIs, so that what
 * was in force at any instant can be shown, and history written under an
 * older definition stays as it was.
 */

/** Relationship rules: the relationship types a CI of the type may have, each with the target types allowed. */
export const RelationshipRulesSchema = z.record(
  TokenSchema,
  z.strictObject({
    /** Omitted: any target type. A target that does not exist yet is always allowed (targets need not exist). */
    targets: z.array(TokenSchema).min(1, 'must name at least one type; leave it out to allow any').optional(),
  }),
);
export type RelationshipRules = z.infer<typeof RelationshipRulesSchema>;

/** Which statuses may follow each status in ordinary writes (restores are judged apart, see lifecycle.ts). */
export const TransitionsSchema = z.partialRecord(CiStatusSchema, z.array(CiStatusSchema));
export type Transitions = z.infer<typeof TransitionsSchema>;

export const CiTypeDefinitionSchema = z.strictObject({
  /** A JSON Schema (draft 2020-12 or 07 keywords, as ajv takes them) for the CI's `attributes`. */
  schema: z.record(z.string(), z.json(), { error: 'must be a JSON Schema object for the attributes' }),
  relationships: RelationshipRulesSchema.optional(),
  lifecycle: z.strictObject({ transitions: TransitionsSchema }).optional(),
  description: z.string().max(4096, 'must be at most 4096 characters').optional(),
});
export type CiTypeDefinition = z.infer<typeof CiTypeDefinitionSchema>;

/** The one event of the type catalogue's stream: a type's whole definition, as of then. */
export const CiTypeDefinedSchema = z.strictObject({
  type: z.literal('CiTypeDefined'),
  data: z.strictObject({ type: TokenSchema, definition: CiTypeDefinitionSchema }),
});
export type CiTypeDefined = z.infer<typeof CiTypeDefinedSchema>;

/** One revision of a type, as read back. */
export interface CiTypeVersion {
  readonly type: string;
  /** 1 for the first definition, like a CI's revision. */
  readonly revision: number;
  readonly recordedAt: string;
  readonly definition: CiTypeDefinition;
  readonly metadata: z.infer<typeof ChangeMetadataSchema>;
}

/** The keyword that marks an attribute property secret. */
export const SECRET_KEYWORD = 'x-secret';
/** The keyword that marks an attribute as an end date reports watch (renewals): `warranty`, `licence` or `support`. */
export const END_DATE_KEYWORD = 'x-end-date';
export const END_DATE_KINDS = ['warranty', 'licence', 'support'] as const;

/**
 * The property names a schema marks `"x-secret": true`, at any depth of
 * `properties` (and inside `items`, `allOf`/`anyOf`/`oneOf`). Secret keys are
 * matched by name wherever they appear in the attributes, as the
 * SECRET_ATTRIBUTE_PATTERN is: a secret nested one level lower is still a secret.
 */
export function secretPropertyNames(schema: unknown): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const record = node as Record<string, unknown>;
    const properties = record['properties'];
    if (typeof properties === 'object' && properties !== null && !Array.isArray(properties)) {
      for (const [name, sub] of Object.entries(properties)) {
        if (typeof sub === 'object' && sub !== null && (sub as Record<string, unknown>)[SECRET_KEYWORD] === true)
          names.add(name);
        visit(sub);
      }
    }
    for (const key of ['items', 'allOf', 'anyOf', 'oneOf', 'additionalProperties', '$defs', 'definitions']) {
      visit(record[key]);
    }
  };
  visit(schema);
  return names;
}
