import { diffArrays, type ChangeObject } from 'diff';
import { Pointer } from 'rfc6902';
import type { Operation } from 'rfc6902/diff';

/**
 * Element comparisons one diff may make across all its arrays. Myers'
 * algorithm makes about (n + m) × d of them for d differences; each array is
 * given what the diff has left (and at least one difference), and past that it
 * is compared position by position. Elements are compared by identity (objects
 * interned by their JSON text first), so a comparison costs nanoseconds: a
 * body at the 1 MB limit diffs in a fifth of a second at most (50,000 objects,
 * every tenth changed), not minutes.
 */
const MAX_COMPARISONS = 200_000;

/**
 * An array whose patch would take more operations than this, and than half
 * its length, is replaced whole: when most of a list changed (a distribution
 * upgrade, a reordering), one `replace` with the new list says so, and is
 * smaller than an operation per element. Short patches keep their elements.
 */
const MAX_ELEMENT_OPERATIONS = 32;

/** One diff's state: the operations so far, the comparisons left, and its objects interned by JSON text. */
interface DiffState {
  readonly operations: Operation[];
  comparisonsLeft: number;
  readonly interned: Map<string, object>;
}

/**
 * The RFC 6902 patch that turns `input` into `output`. Objects and scalars
 * are diffed as rfc6902's `createPatch` diffs them (removals, additions, then
 * the members both hold, each in key order); arrays by Myers' algorithm
 * (jsdiff) instead of rfc6902's edit distance, which is cubic in the arrays'
 * length: a PUT of a server whose 1,000 installed packages had 10 new
 * versions took 21 s of the event loop, and 3,000 exhausted the heap. Array
 * elements that differ where one was replaced are diffed in place
 * (`replace /packages/7/version`), as rfc6902 does. Operations are gathered in
 * one array: rfc6902 spread each member's operations into its caller's as
 * arguments, which overflows the stack past 100,000 to 150,000 of them.
 */
export function diffJson(input: unknown, output: unknown): Operation[] {
  const state: DiffState = { operations: [], comparisonsLeft: MAX_COMPARISONS, interned: new Map() };
  diffInto(input, output, new Pointer(), state);
  return state.operations;
}

function diffInto(input: unknown, output: unknown, ptr: Pointer, state: DiffState): void {
  if (input === output) return;
  if (Array.isArray(input) && Array.isArray(output)) diffArray(input, output, ptr, state);
  else if (isObject(input) && isObject(output)) diffObject(input, output, ptr, state);
  else state.operations.push({ op: 'replace', path: ptr.toString(), value: output });
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A member as rfc6902 and JSON see one: its own, and not undefined. */
function holds(object: JsonObject, key: string): boolean {
  return Object.hasOwn(object, key) && object[key] !== undefined;
}

function diffObject(input: JsonObject, output: JsonObject, ptr: Pointer, state: DiffState): void {
  const { operations } = state;
  for (const key in input) {
    if (holds(input, key) && !holds(output, key)) operations.push({ op: 'remove', path: ptr.add(key).toString() });
  }
  for (const key in output) {
    if (holds(output, key) && !holds(input, key)) {
      operations.push({ op: 'add', path: ptr.add(key).toString(), value: output[key] });
    }
  }
  for (const key in input) {
    if (holds(input, key) && holds(output, key)) diffInto(input[key], output[key], ptr.add(key), state);
  }
}

function diffArray(input: readonly unknown[], output: readonly unknown[], ptr: Pointer, state: DiffState): void {
  const changes = alignment(identities(input, state), identities(output, state), state);
  // Each run removed or added costs an operation per element at least (a pair, its own diff's).
  let fewest = 0;
  for (const change of changes) if (change.removed || change.added) fewest += change.count;
  const start = state.operations.length;
  if (!tooMany(fewest / 2, output)) {
    fromChanges(changes, input, output, ptr, state);
    if (!tooMany(state.operations.length - start, output)) return;
    state.operations.length = start;
  }
  state.operations.push({ op: 'replace', path: ptr.toString(), value: output });
}

function tooMany(operations: number, output: readonly unknown[]): boolean {
  return operations > MAX_ELEMENT_OPERATIONS && operations > output.length / 2;
}

/**
 * Runs of elements kept, removed and added (jsdiff's change objects): by
 * Myers' algorithm within the comparisons the diff has left, else position
 * by position (an element that differs is removed and added in place).
 */
function alignment(left: readonly unknown[], right: readonly unknown[], state: DiffState): ChangeObject<unknown[]>[] {
  const maxEditLength = Math.max(1, Math.floor(state.comparisonsLeft / (left.length + right.length + 1)));
  const found = diffArrays(left as unknown[], right as unknown[], {
    comparator: (a, b) => {
      state.comparisonsLeft--;
      return a === b;
    },
    maxEditLength,
  });
  return found ?? positional(left, right);
}

function positional(left: readonly unknown[], right: readonly unknown[]): ChangeObject<unknown[]>[] {
  const changes: ChangeObject<unknown[]>[] = [];
  const run = (count: number, added: boolean, removed: boolean) => {
    if (count > 0) changes.push({ value: [], count, added, removed });
  };
  const common = Math.min(left.length, right.length);
  for (let i = 0; i < common;) {
    const same = left[i] === right[i];
    let end = i + 1;
    while (end < common && (left[end] === right[end]) === same) end++;
    if (same) run(end - i, false, false);
    else {
      run(end - i, false, true);
      run(end - i, true, false);
    }
    i = end;
  }
  run(left.length - common, false, true);
  run(right.length - common, true, false);
  return changes;
}

/**
 * What Myers' algorithm compares an array's elements by: scalars as they are,
 * objects and arrays as one object per distinct JSON text, so that equal
 * elements are identical and no scalar equals an object.
 */
function identities(array: readonly unknown[], state: DiffState): unknown[] {
  return array.map((element) => {
    if (typeof element !== 'object' || element === null) return element;
    const text = JSON.stringify(element);
    let identity = state.interned.get(text);
    if (!identity) state.interned.set(text, (identity = {}));
    return identity;
  });
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
  state: DiffState,
): void {
  const { operations } = state;
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
    for (let k = 0; k < paired; k++) diffInto(input[from + k], output[to + k], ptr.add(String(at + k)), state);
    at += paired;
    from += removed;
    to += paired;
    for (let k = paired; k < removed; k++) operations.push({ op: 'remove', path: ptr.add(String(at)).toString() });
    length -= removed - paired;
    for (let k = paired; k < added; k++, at++, to++, length++) {
      operations.push({ op: 'add', path: ptr.add(at === length ? '-' : String(at)).toString(), value: output[to] });
    }
  }
}
