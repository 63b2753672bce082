import { Router, type Request, type Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import ms from 'ms';
import { z } from 'zod';
import type { Reports } from '../../application/reports';
import type { Clock } from '../../ports/clock';
import { invalidRequest } from '../problem';
import {
  InstantSchema,
  LimitTextSchema,
  cursorSchema,
  encodeCursor,
  instantOrAgoSchema,
  parseWith,
} from '../request-parsing';

/** The longest renewal window: ten years ahead. */
const MAX_WITHIN_MS = 10 * 365 * 24 * 3_600_000;

const WithinSchema = z
  .string()
  .default('90d')
  .transform((text, ctx) => {
    const duration = /^\d+(\.\d+)?\s*[a-z]+$/i.test(text) ? ms(text as ms.StringValue) : undefined;
    if (typeof duration === 'number' && duration > 0 && duration <= MAX_WITHIN_MS) return duration;
    ctx.addIssue({ code: 'custom', message: 'must be a duration ahead such as 30d, 12w or 1y (at most 10 years)' });
    return z.NEVER;
  });

const FormatSchema = z.enum(['json', 'csv'], { error: 'must be json or csv' }).optional();

export const StatusQuerySchema = z.strictObject({ asOf: InstantSchema.optional(), format: FormatSchema });

/** `now` anchors durations such as `since=30d`. */
export function transitionsQuerySchema(now: () => number) {
  return z.strictObject({
    since: instantOrAgoSchema(now),
    until: instantOrAgoSchema(now).optional(),
    limit: LimitTextSchema,
    cursor: cursorSchema(z.strictObject({ validFrom: z.number(), ciId: z.string() })).optional(),
    format: FormatSchema,
  });
}

export const RenewalsQuerySchema = z.strictObject({
  within: WithinSchema,
  limit: LimitTextSchema,
  cursor: cursorSchema(z.strictObject({ date: z.string(), ciId: z.string(), attribute: z.string() })).optional(),
  format: FormatSchema,
});

/**
 * Reports (reader): JSON by default, CSV with `Accept: text/csv` (or
 * `?format=csv`, for a link in a spreadsheet), with a header row.
 */
export function reportRoutes(reports: Reports, clock: Clock): Router {
  const router = Router();
  const now = () => clock.now().getTime();
  const TransitionsQuery = transitionsQuerySchema(now);

  router.get('/reports/status', async (req, res) => {
    const query = parseWith(StatusQuerySchema, req.query);
    if (query.asOf !== undefined && query.asOf > now()) {
      throw invalidRequest([
        { field: 'asOf', message: 'is in the future; ask about now (leave asOf out) or the past' },
      ]);
    }
    const items = await reports.status(query.asOf);
    const asOf = query.asOf === undefined ? null : new Date(query.asOf).toISOString();
    send(req, res, query.format, { asOf, total: items.reduce((sum, i) => sum + i.count, 0), items }, items, [
      'type',
      'status',
      'count',
    ]);
  });

  router.get('/reports/transitions', async (req, res) => {
    const query = parseWith(TransitionsQuery, req.query);
    const until = query.until ?? now();
    if (query.since > until) {
      throw invalidRequest([{ field: 'since', message: 'is after until: the window must start before it ends' }]);
    }
    const page = await reports.transitions(query.since, until, query.cursor, query.limit);
    const last = page.items.at(-1);
    send(
      req,
      res,
      query.format,
      {
        since: new Date(query.since).toISOString(),
        until: new Date(until).toISOString(),
        items: page.items,
        nextCursor:
          page.more && last ? encodeCursor({ validFrom: Date.parse(last.recordedAt), ciId: last.ciId }) : null,
      },
      page.items,
      ['ciId', 'type', 'from', 'to', 'revision', 'recordedAt'],
    );
  });

  router.get('/reports/renewals', async (req, res) => {
    const query = parseWith(RenewalsQuerySchema, req.query);
    const today = clock.now();
    const page = await reports.renewals(today, query.within, query.cursor, query.limit);
    const last = page.items.at(-1);
    send(
      req,
      res,
      query.format,
      {
        from: today.toISOString(),
        within: String(req.query['within'] ?? '90d'),
        items: page.items,
        nextCursor:
          page.more && last ? encodeCursor({ date: last.date, ciId: last.ciId, attribute: last.attribute }) : null,
      },
      page.items,
      ['date', 'ends', 'ciId', 'type', 'name', 'status', 'attribute'],
    );
  });

  return router;
}

function send(
  req: Request,
  res: Response,
  format: 'json' | 'csv' | undefined,
  body: object,
  rows: readonly object[],
  columns: readonly string[],
): void {
  const csv =
    format === 'csv' || (format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
  res.vary('Accept');
  if (!csv) {
    res.json(body);
    return;
  }
  res
    .type('text/csv; charset=utf-8')
    .send(stringify(rows as Record<string, unknown>[], { header: true, columns: columns as string[] }));
}
