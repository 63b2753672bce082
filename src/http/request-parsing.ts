import ms from 'ms';
import { z } from 'zod';
import { CiIdSchema, compiledSchema, fieldIssues } from '../domain';
import type { HistoryPoint } from '../application/history-point';
import { invalidRequest } from './problem';
import { PLUS_HINT, RFC3339_HINT, parseRfc3339 } from './rfc3339';

/** A request that takes no query parameters: any one given is refused by name. */
export const NoQuerySchema = z.strictObject({});

/**
 * Parses with a zod schema (its compiled form), or throws a 400 naming each
 * bad field. Give it schemas made once, not per request: each is compiled
 * the first time it is used.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.output<S> {
  const result = compiledSchema(schema).safeParse(value);
  if (!result.success) throw invalidRequest(fieldIssues(result.error, prefix));
  return result.data;
}

export function parseCiId(value: unknown): string {
  return parseWith(CiIdSchema, value, 'id');
}

/** An RFC 3339 date-time, in any of the RFC's forms, as ms since the epoch. */
export const InstantSchema = z.string({ error: RFC3339_HINT }).transform((text, ctx) => {
  const parsed = parseRfc3339(text);
  if (parsed.ok) return parsed.ms;
  ctx.addIssue({ code: 'custom', message: parsed.message });
  return z.NEVER;
});

/** A non-negative integer given as decimal digits (query strings are text). */
export const IntegerTextSchema = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a non-negative integer')
  .transform(Number);

export const RevisionTextSchema = IntegerTextSchema.refine((n) => n >= 1, 'must be a revision number, 1 or more');

/** A revision number or an RFC 3339 instant: `?from=3` or `?from=2026-01-31T12:00:00Z`. */
export const HistoryPointTextSchema = z.string().transform((text, ctx): HistoryPoint => {
  if (/^\d+$/.test(text)) {
    const revision = Number(text);
    if (revision >= 1 && Number.isSafeInteger(revision)) return { revision };
  } else {
    const instant = parseRfc3339(text);
    if (instant.ok) return { asOf: instant.ms };
    if (instant.message === PLUS_HINT) {
      ctx.addIssue({ code: 'custom', message: PLUS_HINT });
      return z.NEVER;
    }
  }
  ctx.addIssue({
    code: 'custom',
    message: `must be a revision number (1 or more) or ${RFC3339_HINT.replace('must be ', '')}`,
  });
  return z.NEVER;
});

/**
 * An instant, either RFC 3339 or a duration back from now such as `2h`,
 * `30m`, `7d` (units ms, s, m, h, d, w, y).
 */
export function instantOrAgoSchema(now: () => number) {
  return z.string().transform((text, ctx) => {
    if (/^\d+(\.\d+)?\s*[a-z]+$/i.test(text)) {
      const duration = ms(text as ms.StringValue);
      if (typeof duration === 'number' && Number.isFinite(duration) && duration >= 0) return now() - duration;
    }
    const instant = parseRfc3339(text);
    if (instant.ok) return instant.ms;
    ctx.addIssue({
      code: 'custom',
      message:
        instant.message === PLUS_HINT
          ? PLUS_HINT
          : 'must be an RFC 3339 date-time (2026-01-31T12:00:00Z) or a duration back from now such as 2h, 30m or 7d',
    });
    return z.NEVER;
  });
}

export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;

export const LimitTextSchema = IntegerTextSchema.refine(
  (n) => n >= 1 && n <= MAX_PAGE_SIZE,
  `must be between 1 and ${MAX_PAGE_SIZE}`,
).default(DEFAULT_PAGE_SIZE);

export const BooleanTextSchema = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .transform((v) => v === 'true');

/**
 * Opaque keyset cursors: base64url JSON. Clients pass back `nextCursor` with
 * the same filters; a cursor that does not decode is a 400, not a 500.
 */
export function encodeCursor(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function cursorSchema<S extends z.ZodType>(shape: S) {
  const hint = 'is not a valid cursor; pass back the nextCursor of a previous page unchanged';
  return z.string().transform((text, ctx): z.output<S> => {
    try {
      const decoded = shape.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
      if (decoded.success) return decoded.data;
    } catch {
      // fall through to the issue below
    }
    ctx.addIssue({ code: 'custom', message: hint });
    return z.NEVER;
  });
}
