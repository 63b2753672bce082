import { z } from 'zod';
import { apply as applyMergePatch } from 'json-merge-patch';
import { CiDocumentSchema, ciDocument, type CiDocument } from './ci';
import { InvalidCiError } from './errors';
import { fieldIssues, formatPath } from './field-issues';
import { MAX_ATTRIBUTE_DEPTH, findShapeIssue } from './json-shape';
import { compiledSchema } from './compiled-schema';

/** Every PATCH checks the document it makes. */
const CompiledCiDocumentSchema = compiledSchema(CiDocumentSchema);

/** The fields a merge patch may touch; `type` changes go through PUT. */
const MergePatchSchema = z.looseObject({}).superRefine((patch, ctx) => {
  for (const key of Object.keys(patch)) {
    if (key === 'type' || key === 'id') {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `cannot be changed with PATCH; declare the full desired state with PUT instead`,
      });
    } else if (!['name', 'status', 'attributes', 'relationships'].includes(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'is not a field of a CI; a merge patch may set name, status, attributes and relationships',
      });
    }
  }
});

/**
 * Applies an RFC 7396 merge patch to a CI document and validates the result.
 * `null` removes a key (so `attributes: {"x": null}` deletes attribute x);
 * removing `attributes` or `relationships` entirely leaves them empty.
 */
export function mergePatchDocument(document: CiDocument, mergePatch: unknown): CiDocument {
  if (typeof mergePatch !== 'object' || mergePatch === null || Array.isArray(mergePatch)) {
    throw new InvalidCiError([{ field: '(body)', message: 'must be a JSON object (an RFC 7396 merge patch)' }]);
  }
  // Before anything recursive touches it: the attributes inside sit one level down.
  const shape = findShapeIssue(mergePatch, MAX_ATTRIBUTE_DEPTH + 1);
  if (shape) throw new InvalidCiError([{ field: formatPath(shape.path) || '(body)', message: shape.message }]);
  const patchCheck = MergePatchSchema.safeParse(mergePatch);
  if (!patchCheck.success) throw new InvalidCiError(fieldIssues(patchCheck.error));

  const { type, ...patchable } = structuredClone(document) as CiDocument & Record<string, unknown>;
  const merged = applyMergePatch(patchable, structuredClone(mergePatch)) as Record<string, unknown>;
  const candidate = {
    type,
    ...merged,
    attributes: merged['attributes'] ?? {},
    relationships: merged['relationships'] ?? [],
  };
  const result = CompiledCiDocumentSchema.safeParse(candidate);
  if (!result.success) throw new InvalidCiError(fieldIssues(result.error));
  return ciDocument(result.data);
}
