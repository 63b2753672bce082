import { z } from 'zod';
import { applyPatch } from 'rfc6902';
import type { CiDocument } from './ci';
import { diffJson } from './json-diff';
import { JsonValueSchema } from './json-value';

/** RFC 6902 JSON Patch, declared once so events can be validated after read. */
const pointer = z.string().regex(/^(\/.*)?$/, 'must be a JSON Pointer');
export const JsonPatchOperationSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('add'), path: pointer, value: JsonValueSchema }),
  z.strictObject({ op: z.literal('remove'), path: pointer }),
  z.strictObject({ op: z.literal('replace'), path: pointer, value: JsonValueSchema }),
  z.strictObject({ op: z.literal('move'), from: pointer, path: pointer }),
  z.strictObject({ op: z.literal('copy'), from: pointer, path: pointer }),
  z.strictObject({ op: z.literal('test'), path: pointer, value: JsonValueSchema }),
]);
export const JsonPatchSchema = z.array(JsonPatchOperationSchema);
export type JsonPatch = z.infer<typeof JsonPatchSchema>;

/**
 * The patch that turns `from` into `to` (RFC 6902). `from` absent means
 * "nothing yet". Arrays are diffed in bounded time (diffJson).
 */
export function diffDocuments(from: CiDocument | undefined, to: CiDocument): JsonPatch {
  return diffJson(from ?? {}, to) as JsonPatch;
}

/**
 * Applies a patch without mutating `document`: copy-on-write, so only the
 * containers on each operation's path are copied and the rest is shared with
 * the input (a deep clone per event was the largest cost of projecting).
 * Documents are therefore treated as immutable everywhere. Throws if an
 * operation does not apply, which for patches we produced ourselves means the
 * stream is corrupt.
 */
export function applyDocumentPatch(document: CiDocument | undefined, patch: JsonPatch): CiDocument {
  const root = { ...(document ?? {}) } as Record<string, unknown>;
  const copies = new Set<object>([root]);
  for (const operation of patch) {
    copyPath(root, operation.path, copies);
    // `move` removes at `from`, so its parents are written too; `copy` only reads there.
    if (operation.op === 'move') copyPath(root, operation.from, copies);
    const [failure] = applyPatch(root, [operation]);
    if (failure) throw new Error(`JSON Patch does not apply: ${failure.name}: ${failure.message}`);
  }
  return root as unknown as CiDocument;
}

/**
 * Replaces every container above the pointer's target with a shallow copy
 * (once per patch), so that writing at the pointer touches only copies. The
 * target's own value is replaced or removed whole by rfc6902, which clones
 * what it inserts, so it needs no copy.
 */
function copyPath(root: Record<string, unknown>, path: string, copies: Set<object>): void {
  const tokens = path.split('/');
  let node: Record<string, unknown> | unknown[] = root;
  // tokens[0] is the root (''); the last token names the target inside its parent.
  for (let i = 1; i < tokens.length - 1; i++) {
    // RFC 6901 unescaping; rfc6902's Pointer does the same with two regexes per token, a cost here.
    const key = tokens[i]!.includes('~') ? tokens[i]!.replaceAll('~1', '/').replaceAll('~0', '~') : tokens[i]!;
    // Own properties only: an inherited one (`__proto__`) is nothing to copy.
    if (!Object.hasOwn(node, key)) return;
    const child: unknown = (node as Record<string, unknown>)[key];
    if (child === null || typeof child !== 'object') return; // rfc6902 reports the missing path
    let copy = child as Record<string, unknown> | unknown[];
    if (!copies.has(copy)) {
      copy = Array.isArray(copy) ? copy.slice() : { ...copy };
      copies.add(copy);
      (node as Record<string, unknown>)[key] = copy;
    }
    node = copy;
  }
}
