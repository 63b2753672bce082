import { z } from 'zod';
import { AttributesSchema, CiIdSchema, CiNameSchema, CiStatusSchema, RelationshipsSchema, TokenSchema } from './ci';

/**
 * A CI's full desired state with its id: one line of an import or of a
 * discovery snapshot, or the body of PUT /cis/{id} (without the id).
 */
export const desiredStateShape = {
  type: TokenSchema,
  name: CiNameSchema,
  status: CiStatusSchema.optional(),
  attributes: AttributesSchema.default({}),
  relationships: RelationshipsSchema.default([]),
};

export const DesiredCiLineSchema = z.strictObject({ id: CiIdSchema, ...desiredStateShape });
export type DesiredCiLine = z.output<typeof DesiredCiLineSchema>;
