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

/** A container met on the walk, and how it was reached (its path is built only for an issue). */
interface Container {
  readonly value: object;
  readonly parent: Container | undefined;
  readonly key: PropertyKey;
}

function pathOf(container: Container): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let node = container; node.parent; node = node.parent) path.push(node.key);
  return path.reverse();
}

/**
 * The first problem in a JSON value, walking it breadth-first: a container
 * nested deeper than `maxDepth`, or a `__proto__` key (JavaScript tools, JSON
 * Patch appliers among them, turn it into a prototype change instead of a
 * property, so it could not be kept faithfully). Only containers are queued
 * and paths are made only for the issue found: this runs on every write and
 * on every event read back, and most values are strings and numbers.
 */
export function findShapeIssue(value: unknown, maxDepth: number): ShapeIssue | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  let level: Container[] = [{ value, parent: undefined, key: '' }];
  for (let depth = 1; level.length > 0; depth++) {
    if (depth > maxDepth) {
      return { path: pathOf(level[0]!), message: `nests deeper than ${maxDepth} levels; flatten the document` };
    }
    const next: Container[] = [];
    for (const container of level) {
      const node = container.value;
      if (Array.isArray(node)) {
        node.forEach((item: unknown, index) => {
          if (typeof item === 'object' && item !== null) next.push({ value: item, parent: container, key: index });
        });
        continue;
      }
      for (const key of Object.keys(node)) {
        if (key === '__proto__')
          return { path: [...pathOf(container), key], message: 'the key "__proto__" is not allowed' };
        const child = (node as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) next.push({ value: child, parent: container, key });
      }
    }
    level = next;
  }
  return undefined;
}
