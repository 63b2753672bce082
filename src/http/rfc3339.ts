/**
 * RFC 3339 date-times in every form the RFC allows: `T`, `t` or a space
 * between date and time (§5.6 note), `Z`, `z` or a numeric offset, any number
 * of fractional digits (kept to the millisecond), and a leap second (:60,
 * read as the last millisecond of :59, since the clock has no room for it).
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * An unencoded `+` in a query string arrives as a space: "…T00:43:00 01:00".
 * Said so, since nothing else about the value is wrong.
 */
const PLUS_AS_SPACE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)? \d{2}:\d{2}$/;

export const RFC3339_HINT = 'must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z';
export const PLUS_HINT =
  'has a space where the offset sign belongs: a + in a query string must be sent encoded as %2B ' +
  '(e.g. 2026-01-31T12:00:00%2B01:00), or give the time in UTC with Z';

export type ParsedInstant = { ok: true; ms: number } | { ok: false; message: string };

export function parseRfc3339(text: string): ParsedInstant {
  const match = RFC3339.exec(text);
  if (!match) return { ok: false, message: PLUS_AS_SPACE.test(text) ? PLUS_HINT : RFC3339_HINT };
  const [, year, month, day, hour, minute, second, fraction, , sign, offsetHours, offsetMinutes] = match;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  const oh = Number(offsetHours ?? 0);
  const om = Number(offsetMinutes ?? 0);
  const inRange =
    mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && h <= 23 && mi <= 59 && s <= 60 && oh <= 23 && om <= 59;
  if (!inRange) return { ok: false, message: `${RFC3339_HINT} (a field is out of range)` };
  const leap = s === 60;
  const millis = leap ? 999 : Number((fraction ?? '').padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(y, mo - 1, d, h, mi, leap ? 59 : s, millis);
  const offset = (sign === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  return { ok: true, ms: utc - (sign ? offset : 0) };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
