import { Router } from 'express';
import { z } from 'zod';
import { CI_EVENT_TYPES, CiIdSchema, TokenSchema, type CiEventType } from '../../domain';
import type { CiQueries } from '../../application/ci-queries';
import type { Clock } from '../../ports/clock';
import {
  IntegerTextSchema,
  LimitTextSchema,
  cursorSchema,
  encodeCursor,
  instantOrAgoSchema,
  parseWith,
} from '../request-parsing';

/** GET /changes: the change feed across all CIs, newest first. */
export function changeRoutes(queries: CiQueries, clock: Clock): Router {
  const router = Router();
  const instant = instantOrAgoSchema(() => clock.now().getTime());
  const ChangesQuerySchema = z
    .strictObject({
      since: instant.optional(),
      until: instant.optional(),
      ciId: CiIdSchema.optional(),
      type: TokenSchema.optional(),
      eventType: z
        .enum(CI_EVENT_TYPES as [CiEventType, ...CiEventType[]], {
          error: `must be one of ${CI_EVENT_TYPES.join(', ')}`,
        })
        .optional(),
      actor: z.string().min(1).max(256).optional(),
      changeRef: z.string().min(1).max(256).optional(),
      limit: LimitTextSchema,
      cursor: cursorSchema(z.strictObject({ before: z.number().int().positive() })).optional(),
      minPosition: IntegerTextSchema.optional(),
    })
    .refine((query) => query.since === undefined || query.until === undefined || query.since <= query.until, {
      message: 'must not be after until',
      path: ['since'],
    });

  router.get('/changes', async (req, res) => {
    const query = parseWith(ChangesQuerySchema, req.query);
    const items = await queries.changes(
      {
        beforePosition: query.cursor?.before,
        since: query.since,
        until: query.until,
        ciId: query.ciId,
        ciType: query.type,
        eventType: query.eventType,
        actor: query.actor,
        changeRef: query.changeRef,
        limit: query.limit + 1, // one more than asked: a next page exists only if it comes back
      },
      query.minPosition,
    );
    const page = items.slice(0, query.limit);
    const last = page.at(-1);
    res.json({
      items: page,
      nextCursor: items.length > query.limit && last ? encodeCursor({ before: last.position }) : null,
    });
  });

  return router;
}
