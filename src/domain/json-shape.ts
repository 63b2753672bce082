/**
 * Limits on the shape of stored JSON, checked without recursion so that a
 * hostile document cannot overflow the stack of the code that checks it.
 */

/** Attributes may nest this many levels (the attributes object itself is level 1). */
export const MAX_ATTRIBUTE_DEPTH = 32;

export interface ShapeIssue {
  readonly path: PropertyKey[];
  readonly message: string;
}

/**
 * The first problem in a JSON value, walking it breadth-first: a container
 * nested deeper than `maxDepth`, or a `__proto__` key (JavaScript tools, JSON
 * Patch appliers among them, turn it into a prototype change instead of a
 * property, so it could not be kept faithfully).
 */
export function findShapeIssue(value: unknown, maxDepth: number): ShapeIssue | undefined {
  let level: Array<{ value: unknown; path: PropertyKey[] }> = [{ value, path: [] }];
  for (let depth = 1; level.length > 0; depth++) {
    const next: typeof level = [];
    for (const { value: node, path } of level) {
      if (typeof node !== 'object' || node === null) continue;
      if (depth > maxDepth) {
        return { path, message: `nests deeper than ${maxDepth} levels; flatten the document` };
      }
      if (Array.isArray(node)) {
        node.forEach((item, index) => next.push({ value: item, path: [...path, index] }));
        continue;
      }
      for (const key of Object.keys(node)) {
        if (key === '__proto__') return { path: [...path, key], message: 'the key "__proto__" is not allowed' };
        next.push({ value: (node as Record<string, unknown>)[key], path: [...path, key] });
      }
    }
    level = next;
  }
  return undefined;
}
