import { z } from 'zod';

/** A JSON value, as `JSON.parse` makes them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Deeper than anything the API accepts (a body nests at most 34 levels): only a cyclic value gets here. */
const MAX_DEPTH = 64;
/** More values than a 1 MB body can hold: only a value that shares one container many times over gets here. */
const MAX_VALUES = 1_000_000;

/**
 * Whether `value` is JSON: strings, finite numbers, booleans, null, and
 * arrays and plain objects of those. Walked with a stack, not recursion, and
 * bounded, so that no value a program builds can overflow or hang it.
 */
export function isJsonValue(value: unknown): value is JsonValue {
  const values: unknown[] = [value];
  const depths: number[] = [1];
  for (let visited = 0; values.length > 0; visited++) {
    const node = values.pop();
    const depth = depths.pop()!;
    if (node === null || typeof node === 'string' || typeof node === 'boolean') continue;
    if (typeof node === 'number') {
      if (Number.isFinite(node)) continue;
      return false;
    }
    if (typeof node !== 'object' || depth > MAX_DEPTH || visited > MAX_VALUES) return false;
    if (Array.isArray(node)) {
      for (const item of node) {
        values.push(item);
        depths.push(depth + 1);
      }
      continue;
    }
    // A plain object: made by JSON.parse, a literal or structuredClone (whose realm may be another's).
    const prototype = Object.getPrototypeOf(node) as object | null;
    if (prototype !== null && Object.getPrototypeOf(prototype) !== null) return false;
    for (const key in node) {
      values.push((node as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
  return true;
}

/**
 * Any JSON value, checked in one pass without rebuilding it. zod's own
 * `z.json()` is a recursive schema: it rebuilt every nested container and
 * cost about four times as much, most of what reading an event back took,
 * and a recursive schema cannot be compiled. Described in JSON Schema as
 * `{}`, "any value", which is what it allows.
 */
export const JsonValueSchema = z.custom<JsonValue>(isJsonValue, {
  error: 'must be a JSON value: a string, a finite number, true, false, null, an array or an object',
});
