import { Router } from 'express';
import { z } from 'zod';
import { BaselineNameSchema, BaselineSelectorSchema, type BaselineHeader } from '../../domain';
import type { BaselinePoint, Baselines, DiffAgainst } from '../../application/baselines';
import type { Clock } from '../../ports/clock';
import { ciRepresentation } from '../ci-representation';
import { invalidRequest } from '../problem';
import {
  cursorSchema,
  encodeCursor,
  InstantSchema,
  LimitTextSchema,
  NoQuerySchema,
  parseWith,
} from '../request-parsing';
import { parseRfc3339 } from '../rfc3339';
import { changeMetadata } from '../write-headers';

export const TakeBodySchema = z
  .strictObject({
    name: BaselineNameSchema,
    asOf: InstantSchema.optional(),
    position: z.number().int().min(0).optional(),
    selector: BaselineSelectorSchema.default({}),
    reason: z.string().max(4096).optional(),
    changeRef: z.string().min(1).max(256).optional(),
  })
  .refine((body) => body.asOf === undefined || body.position === undefined, {
    message: 'give asOf or position, not both (neither: now)',
    path: ['position'],
  });

export const StatesQuerySchema = z.strictObject({
  limit: LimitTextSchema,
  cursor: cursorSchema(z.strictObject({ after: z.string() })).optional(),
});

export const AgainstSchema = z.strictObject({
  against: z
    .string()
    .default('now')
    .transform((text, ctx): DiffAgainst => {
      if (text === 'now') return 'now';
      if (text.startsWith('baseline:')) {
        const name = BaselineNameSchema.safeParse(text.slice('baseline:'.length));
        if (name.success) return { baseline: name.data };
      } else {
        const instant = parseRfc3339(text);
        if (instant.ok) return { asOf: instant.ms };
      }
      ctx.addIssue({
        code: 'custom',
        message: 'must be now, an RFC 3339 date-time (2026-01-31T12:00:00Z) or baseline:<name>',
      });
      return z.NEVER;
    }),
});

export const RestoreBodySchema = z.strictObject({
  reason: z.string().max(4096).optional(),
  changeRef: z.string().min(1).max(256).optional(),
  dryRun: z.boolean().default(false),
});

function baselineRepresentation(header: BaselineHeader) {
  return {
    name: header.name,
    asOf: header.asOf,
    position: header.position,
    selector: header.selector,
    members: header.members,
    digest: header.digest,
    takenAt: header.takenAt,
    actor: header.metadata.actor,
    reason: header.metadata.reason,
    changeRef: header.metadata.changeRef,
  };
}

/** Baselines: named, frozen references to CI states (take: writer; restore: admin). */
export function baselineRoutes(baselines: Baselines, clock: Clock): Router {
  const router = Router();

  router.post('/baselines', async (req, res) => {
    const body = parseWith(TakeBodySchema, req.body ?? {});
    if (body.asOf !== undefined && body.asOf > clock.now().getTime()) {
      throw invalidRequest([{ field: 'asOf', message: 'is in the future; a baseline freezes what was recorded' }]);
    }
    const point: BaselinePoint =
      body.asOf !== undefined ? { asOf: body.asOf } : body.position !== undefined ? { position: body.position } : 'now';
    const header = await baselines.take({
      name: body.name,
      point,
      selector: body.selector,
      metadata: changeMetadata(req, { reason: body.reason, changeRef: body.changeRef, source: 'baseline' }),
    });
    res
      .status(201)
      .setHeader('Location', `${req.baseUrl}/baselines/${encodeURIComponent(header.name)}`)
      .json({
        ...baselineRepresentation(header),
        ...(header.members === 0 && {
          note: 'the selector matched no CI at that point: the baseline is empty (kept, as asked)',
        }),
      });
  });

  router.get('/baselines', async (req, res) => {
    parseWith(NoQuerySchema, req.query);
    res.json({ items: (await baselines.list()).map(baselineRepresentation) });
  });

  router.get('/baselines/:name', async (req, res) => {
    const name = parseWith(BaselineNameSchema, req.params.name, 'name');
    const query = parseWith(StatesQuerySchema, req.query);
    const page = await baselines.states(name, query.cursor?.after, query.limit);
    const last = page.items.at(-1);
    res.json({
      ...baselineRepresentation(page.header),
      items: page.items.map(ciRepresentation),
      nextCursor: page.more && last ? encodeCursor({ after: last.ciId }) : null,
    });
  });

  router.get('/baselines/:name/diff', async (req, res) => {
    const name = parseWith(BaselineNameSchema, req.params.name, 'name');
    const query = parseWith(AgainstSchema, req.query);
    const items = await baselines.diff(name, query.against);
    res.json({ baseline: name, against: String(req.query['against'] ?? 'now'), items });
  });

  router.post('/baselines/:name/restore', async (req, res) => {
    const name = parseWith(BaselineNameSchema, req.params.name, 'name');
    const body = parseWith(RestoreBodySchema, req.body ?? {});
    const changeRef = body.changeRef ?? `baseline:${name}`;
    const metadata = changeMetadata(req, {
      reason: body.reason ?? `restore of baseline ${name}`,
      changeRef,
      source: 'restore',
    });
    const items = await baselines.restore(name, { dryRun: body.dryRun, metadata });
    const counts: Record<string, number> = {};
    for (const item of items) counts[item.outcome] = (counts[item.outcome] ?? 0) + 1;
    res.json({ baseline: name, changeRef, dryRun: body.dryRun, counts, items });
  });

  return router;
}
