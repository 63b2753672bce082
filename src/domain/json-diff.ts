import { isDeepStrictEqual } from 'node:util';
import { diffArrays, type ChangeObject } from 'diff';
import type { Pointer } from 'rfc6902';
import { diffAny, type Operation } from 'rfc6902/diff';

/**
 * Element comparisons one array's diff may make. Myers' algorithm makes about
 * (n + m) × d of them for d differences; past this bound the arrays are diffed
 * element by element instead, so no PUT costs more than a few milliseconds of
 * diffing, whatever arrays its document holds.
 */
const MAX_COMPARISONS = 200_000;

/**
 * rfc6902's diff with arrays diffed by Myers' algorithm (jsdiff) instead of
 * rfc6902's own edit distance, which is cubic in the arrays' length: a PUT of
 * a server whose 1,000 installed packages had 10 new versions took 21 s of the
 * event loop, and 3,000 exhausted the heap. Objects and scalars are diffed by
 * rfc6902 as before. Array elements that differ where one was replaced are
 * diffed in place (`replace /packages/7/version`), as rfc6902 does.
 */
export function diffJson(input: unknown, output: unknown, ptr: Pointer): Operation[] {
  return Array.isArray(input) && Array.isArray(output)
    ? diffArray(input, output, ptr)
    : diffAny(input, output, ptr, diffJson);
}

function diffArray(input: readonly unknown[], output: readonly unknown[], ptr: Pointer): Operation[] {
  const maxEditLength = Math.max(1, Math.floor(MAX_COMPARISONS / (input.length + output.length + 1)));
  const changes = diffArrays(input as unknown[], output as unknown[], { comparator: sameJson, maxEditLength });
  return changes ? fromChanges(changes, input, output, ptr) : elementByElement(input, output, ptr);
}

/** JSON equality; `===` first, as most elements are strings or numbers. */
function sameJson(left: unknown, right: unknown): boolean {
  return (
    left === right ||
    (typeof left === 'object' &&
      left !== null &&
      typeof right === 'object' &&
      right !== null &&
      isDeepStrictEqual(left, right))
  );
}

/**
 * The operations that make `output` of `input`, from jsdiff's runs of kept,
 * removed and added elements. A removal next to an addition is a replacement:
 * its elements are diffed pairwise, and only the surplus is removed or added.
 * `at` is the index in the array as patched so far, which is where each
 * operation applies.
 */
function fromChanges(
  changes: readonly ChangeObject<unknown[]>[],
  input: readonly unknown[],
  output: readonly unknown[],
  ptr: Pointer,
): Operation[] {
  const operations: Operation[] = [];
  let at = 0;
  let length = input.length;
  let from = 0; // next element of input
  let to = 0; // next element of output
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i]!;
    if (!change.added && !change.removed) {
      at += change.count;
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
    for (let k = 0; k < paired; k++) {
      for (const operation of diffJson(input[from + k], output[to + k], ptr.add(String(at + k)))) {
        operations.push(operation);
      }
    }
    at += paired;
    from += removed;
    to += paired;
    for (let k = paired; k < removed; k++) operations.push({ op: 'remove', path: ptr.add(String(at)).toString() });
    length -= removed - paired;
    for (let k = paired; k < added; k++, at++, to++, length++) {
      operations.push({ op: 'add', path: ptr.add(at === length ? '-' : String(at)).toString(), value: output[to] });
    }
  }
  return operations;
}

/** Arrays too different for the bound: element i against element i, then the surplus removed or added. */
function elementByElement(input: readonly unknown[], output: readonly unknown[], ptr: Pointer): Operation[] {
  const operations: Operation[] = [];
  const common = Math.min(input.length, output.length);
  for (let i = 0; i < common; i++) {
    for (const operation of diffJson(input[i], output[i], ptr.add(String(i)))) operations.push(operation);
  }
  // From the end, so that each index is still the element's own.
  for (let i = input.length - 1; i >= common; i--)
    operations.push({ op: 'remove', path: ptr.add(String(i)).toString() });
  for (let i = common; i < output.length; i++)
    operations.push({ op: 'add', path: ptr.add('-').toString(), value: output[i] });
  return operations;
}
