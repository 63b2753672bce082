import { diffArrays, type ChangeObject } from 'diff';
import type { ArrayDelta, Delta } from 'jsondiffpatch';

/**
 * Past this many cells (left length × right length), arrays are diffed here
 * rather than by jsondiffpatch, whose longest common subsequence fills a
 * matrix of that size: 3,000 packages took 72 MB and a third of a second,
 * 10,000 took 800 MB and 3.5 s, enough to stall or crash the tab.
 */
export const LONG_ARRAY_CELLS = 250_000;

/** Element comparisons the diff may make (Myers' algorithm, about (n + m) × differences); the server's bound. */
const MAX_COMPARISONS = 200_000;

/**
 * jsondiffpatch's delta between two long arrays, found by Myers' algorithm
 * (jsdiff) in bounded time: `_<old index>: [removed, 0, 0]` for an element
 * removed, `<new index>: [added]` for one added, and for an element removed
 * next to one added, the pair's own delta (`diffItem`) at its new index, so
 * that a package's new version shows as that package changed. Arrays too
 * different for the bound are compared position by position. Undefined when
 * the arrays are equal.
 */
export function longArrayDelta(
  left: readonly unknown[],
  right: readonly unknown[],
  diffItem: (before: unknown, after: unknown) => Delta,
): ArrayDelta | undefined {
  const maxEditLength = Math.max(1, Math.floor(MAX_COMPARISONS / (left.length + right.length + 1)));
  const interned = new Map<string, object>();
  const found = diffArrays(identities(left, interned), identities(right, interned), { maxEditLength });
  const changes = found ?? [...positional(left.length, right.length)];
  const delta: ArrayDelta = { _t: 'a' };
  let changed = false;
  let from = 0; // index in left
  let to = 0; // index in right
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i]!;
    if (!change.added && !change.removed) {
      // Compared by position, the elements kept in place may still differ.
      if (!found) {
        for (let k = 0; k < change.count; k++) {
          changed = setItem(delta, to + k, diffItem(left[from + k], right[to + k])) || changed;
        }
      }
      from += change.count;
      to += change.count;
      continue;
    }
    const next = changes[i + 1];
    const pairsWithNext = next !== undefined && (change.removed ? next.added : next.removed);
    if (pairsWithNext) i++;
    const removed = change.removed ? change.count : pairsWithNext ? next.count : 0;
    const added = change.added ? change.count : pairsWithNext ? next.count : 0;
    const paired = Math.min(removed, added);
    for (let k = 0; k < paired; k++)
      changed = setItem(delta, to + k, diffItem(left[from + k], right[to + k])) || changed;
    for (let k = paired; k < removed; k++) delta[`_${from + k}`] = [left[from + k], 0, 0];
    for (let k = paired; k < added; k++) delta[to + k] = [right[to + k]];
    changed ||= removed !== added;
    from += removed;
    to += added;
  }
  return changed ? delta : undefined;
}

function setItem(delta: ArrayDelta, index: number, itemDelta: Delta): boolean {
  if (itemDelta === undefined) return false;
  delta[index] = itemDelta;
  return true;
}

/** What jsdiff would return for arrays compared position by position: the common length kept, the rest removed or added. */
function* positional(leftLength: number, rightLength: number): Generator<ChangeObject<unknown[]>> {
  const common = Math.min(leftLength, rightLength);
  if (common > 0) yield { value: [], count: common, added: false, removed: false };
  if (leftLength > common) yield { value: [], count: leftLength - common, added: false, removed: true };
  if (rightLength > common) yield { value: [], count: rightLength - common, added: true, removed: false };
}

/**
 * What Myers' algorithm compares elements by (with `===`): scalars as they
 * are, objects and arrays as one object per distinct JSON text, so that each
 * element is written out once rather than at every comparison.
 */
function identities(array: readonly unknown[], interned: Map<string, object>): unknown[] {
  return array.map((element) => {
    if (typeof element !== 'object' || element === null) return element;
    const text = JSON.stringify(element);
    let identity = interned.get(text);
    if (!identity) interned.set(text, (identity = {}));
    return identity;
  });
}
