import { Router } from 'express';
import { z } from 'zod';
import { ChangeSourceSchema, TokenSchema } from '../../domain';
import type { ReconciliationReport, Reconciliations } from '../../application/reconciliations';
import { NDJSON_TYPES, parsedLines, unsupportedNdjson } from '../ndjson';
import { problem } from '../problem';
import {
  BooleanTextSchema,
  cursorSchema,
  encodeCursor,
  LimitTextSchema,
  NoQuerySchema,
  parseWith,
} from '../request-parsing';
import { changeMetadata } from '../write-headers';

export const RunQuerySchema = z.strictObject({
  /** Which discovery tool observed the snapshot (recorded with the report). */
  source: ChangeSourceSchema,
  scope: z
    .string()
    .default('all')
    .transform((text, ctx) => {
      if (text === 'all') return {};
      const type = text.startsWith('type:') ? TokenSchema.safeParse(text.slice('type:'.length)) : undefined;
      if (type?.success) return { type: type.data };
      ctx.addIssue({ code: 'custom', message: 'must be all or type:<type>, e.g. type:server' });
      return z.NEVER;
    }),
  apply: BooleanTextSchema.default(false),
});

export const ItemsQuerySchema = z.strictObject({
  limit: LimitTextSchema,
  cursor: cursorSchema(z.strictObject({ from: z.number().int().min(0) })).optional(),
});

/**
 * POST /reconciliations (writer): an NDJSON snapshot of observed CIs in, a
 * kept report out (201, Location); GET the report's findings in pages.
 */
export function reconciliationRoutes(reconciliations: Reconciliations): Router {
  const router = Router();

  router.post('/reconciliations', async (req, res) => {
    const query = parseWith(RunQuerySchema, req.query);
    if (!req.is(NDJSON_TYPES)) throw unsupportedNdjson();
    const report = await reconciliations.run(
      { source: query.source, scope: query.scope, apply: query.apply, metadata: changeMetadata(req) },
      parsedLines(req),
    );
    res.status(201).setHeader('Location', `${req.baseUrl}/reconciliations/${report.id}`).json(summary(report));
  });

  router.get('/reconciliations', async (req, res) => {
    parseWith(NoQuerySchema, req.query);
    res.json({ items: (await reconciliations.list()).map(summary) });
  });

  router.get('/reconciliations/:id', async (req, res) => {
    const query = parseWith(ItemsQuerySchema, req.query);
    const report = await reconciliations.get(req.params.id);
    if (!report) {
      throw problem(
        404,
        'reconciliation-not-found',
        'Reconciliation not found',
        `no reconciliation report has the id "${req.params.id}"; list them with GET /api/v1/reconciliations`,
      );
    }
    const from = query.cursor?.from ?? 0;
    const items = await reconciliations.items(report, from, query.limit);
    const next = from + items.length;
    res.json({ ...summary(report), items, nextCursor: next < report.items ? encodeCursor({ from: next }) : null });
  });

  return router;
}

function summary(report: ReconciliationReport) {
  const { itemsStream: _stream, ...rest } = report;
  return rest;
}
