import { Router } from 'express';
import { z } from 'zod';
import { CiStatusSchema, TokenSchema } from '../../domain';
import type { CiQueries } from '../../application/ci-queries';
import type { HistoryPoint } from '../../application/history-point';
import { ciNotFound as notFound, ciRepresentationJson, etagFor } from '../ci-representation';
import {
  BooleanTextSchema,
  HistoryPointTextSchema,
  InstantSchema,
  IntegerTextSchema,
  LimitTextSchema,
  MAX_PAGE_SIZE,
  RevisionTextSchema,
  cursorSchema,
  encodeCursor,
  parseCiId,
  parseWith,
} from '../request-parsing';

export const SingleCiQuerySchema = z
  .strictObject({ asOf: InstantSchema.optional(), revision: RevisionTextSchema.optional() })
  .refine((query) => query.asOf === undefined || query.revision === undefined, {
    message: 'give asOf or revision, not both',
    path: ['revision'],
  });

export const ListQuerySchema = z.strictObject({
  asOf: InstantSchema.optional(),
  type: TokenSchema.optional(),
  status: CiStatusSchema.optional(),
  includeRetired: BooleanTextSchema.default(false),
  limit: LimitTextSchema,
  cursor: cursorSchema(z.strictObject({ after: z.string() })).optional(),
  minPosition: IntegerTextSchema.optional(),
});

/** History pages: up to 1000 changes each (the default), oldest first. */
export const HistoryQuerySchema = z.strictObject({
  limit: IntegerTextSchema.refine(
    (n) => n >= 1 && n <= MAX_PAGE_SIZE,
    `must be between 1 and ${MAX_PAGE_SIZE}`,
  ).default(MAX_PAGE_SIZE),
  cursor: cursorSchema(z.strictObject({ after: z.number().int().min(0) })).optional(),
});

export const DiffQuerySchema = z.strictObject({
  from: HistoryPointTextSchema,
  to: HistoryPointTextSchema.optional(),
});

export function ciReadRoutes(queries: CiQueries): Router {
  const router = Router();

  router.get('/cis', async (req, res) => {
    const query = parseWith(ListQuerySchema, req.query);
    const items = await queries.listJson(
      {
        type: query.type,
        status: query.status,
        includeRetired: query.includeRetired,
        afterCiId: query.cursor?.after,
        limit: query.limit + 1, // one more than asked: a next page exists only if it comes back
      },
      query.asOf,
      query.minPosition,
    );
    const page = items.slice(0, query.limit);
    const last = page.at(-1);
    const nextCursor = items.length > query.limit && last ? encodeCursor({ after: JSON.parse(last.ciId) }) : null;
    // Written from the stored JSON: parsing a page of documents to write them out again was most of its cost.
    res
      .type('json')
      .send(`{"items":[${page.map(ciRepresentationJson).join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`);
  });

  router.get('/cis/:id', async (req, res) => {
    const ciId = parseCiId(req.params.id);
    const query = parseWith(SingleCiQuerySchema, req.query);
    const point: HistoryPoint | undefined =
      query.revision !== undefined
        ? { revision: query.revision }
        : query.asOf !== undefined
          ? { asOf: query.asOf }
          : undefined;
    // Written from the stored JSON, as a page is, rather than parsing the document to write it out
    // again: the representation writes answer with (sendCi), its members in the same order.
    const ci = point ? await queries.atJson(ciId, point) : await queries.currentJson(ciId);
    if (!ci) throw notFound(ciId, point);
    const etag = etagFor(Number(ci.revision));
    if (!point && req.headers['if-none-match'] === etag) {
      res.status(304).setHeader('ETag', etag).end();
      return;
    }
    res.setHeader('ETag', etag).type('json').send(ciRepresentationJson(ci));
  });

  router.get('/cis/:id/history', async (req, res) => {
    const ciId = parseCiId(req.params.id);
    const query = parseWith(HistoryQuerySchema, req.query);
    const afterRevision = query.cursor?.after ?? 0;
    // One more than asked: a next page exists only if it comes back.
    const history = await queries.history(ciId, { afterRevision, limit: query.limit + 1 });
    if (!history) throw notFound(ciId, undefined);
    const { items } = history;
    const page = items.slice(0, query.limit);
    const last = page.at(-1);
    res.setHeader('ETag', etagFor(history.revision)).json({
      items: page,
      nextCursor: items.length > query.limit && last ? encodeCursor({ after: last.revision }) : null,
    });
  });

  router.get('/cis/:id/diff', async (req, res) => {
    const ciId = parseCiId(req.params.id);
    const query = parseWith(DiffQuerySchema, req.query);
    const diff = await queries.diff(ciId, query.from, query.to);
    if (!diff) throw notFound(ciId, undefined);
    res.json({ from: pointOf(diff.from), to: pointOf(diff.to), patch: diff.patch });
  });

  return router;
}

function pointOf(ci: { revision: number; recordedAt: string }) {
  return { revision: ci.revision, recordedAt: ci.recordedAt };
}
