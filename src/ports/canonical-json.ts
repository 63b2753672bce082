import { configure } from 'safe-stable-stringify';

const deterministic = configure({ deterministic: true, circularValue: TypeError });

/**
 * The canonical JSON of a JSON value (RFC 8785, JSON Canonicalization
 * Scheme): object keys sorted by UTF-16 code units, no whitespace, strings
 * and numbers as ECMAScript's JSON.stringify writes them. safe-stable-stringify
 * produces exactly that for JSON values (a property test holds it to the
 * reference implementation, canonicalize) at about 60% of its cost, which
 * matters: every append hashes its events with it.
 */
export function canonicalJson(value: unknown): string {
  const text = deterministic(value);
  if (text === undefined) throw new TypeError('canonical JSON needs a JSON value');
  return text;
}
