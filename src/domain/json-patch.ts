import { z } from 'zod';
import { applyPatch, createPatch } from 'rfc6902';
import type { CiDocument } from './ci';

/** RFC 6902 JSON Patch, declared once so events can be validated after read. */
const pointer = z.string().regex(/^(\/.*)?$/, 'must be a JSON Pointer');
export const JsonPatchOperationSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('add'), path: pointer, value: z.json() }),
  z.strictObject({ op: z.literal('remove'), path: pointer }),
  z.strictObject({ op: z.literal('replace'), path: pointer, value: z.json() }),
  z.strictObject({ op: z.literal('move'), from: pointer, path: pointer }),
  z.strictObject({ op: z.literal('copy'), from: pointer, path: pointer }),
  z.strictObject({ op: z.literal('test'), path: pointer, value: z.json() }),
]);
export const JsonPatchSchema = z.array(JsonPatchOperationSchema);
export type JsonPatch = z.infer<typeof JsonPatchSchema>;

/** The patch that turns `from` into `to` (RFC 6902). `from` absent means "nothing yet". */
export function diffDocuments(from: CiDocument | undefined, to: CiDocument): JsonPatch {
  return createPatch(from ?? {}, to) as JsonPatch;
}

/**
 * Applies a patch to a copy of `document`; the input is never mutated.
 * Throws if an operation does not apply, which for patches we produced
 * ourselves means the stream is corrupt.
 */
export function applyDocumentPatch(document: CiDocument | undefined, patch: JsonPatch): CiDocument {
  const target = structuredClone(document ?? {}) as Record<string, unknown>;
  const results = applyPatch(target, patch);
  const failure = results.find((result) => result !== null);
  if (failure) {
    throw new Error(`JSON Patch does not apply: ${failure.name}: ${failure.message}`);
  }
  return target as unknown as CiDocument;
}
