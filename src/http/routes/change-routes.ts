import { Router } from 'express';
import { z } from 'zod';
import { CI_EVENT_TYPES, CiIdSchema, TokenSchema, type CiEventType } from '../../domain';
import type { CiQueries } from '../../application/ci-queries';
import type { GraphQueries } from '../../application/graph-queries';
import { ciNotFound } from '../ci-representation';
import { DEFAULT_IMPACT_DEPTH, ImpactDepthSchema, ImpactDirectionSchema, MAX_IMPACT_ITEMS } from './graph-routes';
import type { Clock } from '../../ports/clock';
import {
  IntegerTextSchema,
  LimitTextSchema,
  cursorSchema,
  encodeCursor,
  instantOrAgoSchema,
  parseWith,
} from '../request-parsing';

/** The query of GET /changes; `now` anchors durations such as `since=2h`. */
export function changesQuerySchema(now: () => number) {
  const instant = instantOrAgoSchema(now);
  return z
    .strictObject({
      since: instant.optional(),
      until: instant.optional(),
      ciId: CiIdSchema.optional(),
      relatedTo: CiIdSchema.optional(),
      direction: ImpactDirectionSchema.optional(),
      depth: ImpactDepthSchema.optional(),
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
    })
    .refine((query) => query.ciId === undefined || query.relatedTo === undefined, {
      message: 'give ciId or relatedTo, not both',
      path: ['relatedTo'],
    })
    .refine((query) => query.relatedTo !== undefined || (query.direction === undefined && query.depth === undefined), {
      message: 'direction and depth narrow relatedTo; give relatedTo too',
      path: ['relatedTo'],
    });
}

/**
 * GET /changes: the change feed across all CIs, newest first; with
 * `relatedTo`, narrowed to a CI and its impact set (the graph as of `until`,
 * or now): what changed on this service and everything it depends on.
 */
export function changeRoutes(queries: CiQueries, graph: GraphQueries, clock: Clock): Router {
  const router = Router();
  const ChangesQuerySchema = changesQuerySchema(() => clock.now().getTime());

  router.get('/changes', async (req, res) => {
    const query = parseWith(ChangesQuerySchema, req.query);
    const ciIds = query.relatedTo === undefined ? undefined : await relatedCis(query.relatedTo, query);
    const items = await queries.changes(
      {
        beforePosition: query.cursor?.before,
        since: query.since,
        until: query.until,
        ciId: query.ciId,
        ciIds,
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

  /** The root and every CI reached from it, retired ones included: their changes matter most in an incident. */
  async function relatedCis(
    root: string,
    query: {
      until?: number | undefined;
      direction?: 'dependents' | 'dependencies' | undefined;
      depth?: number | undefined;
    },
  ): Promise<string[]> {
    const impact = await graph.impact(root, {
      asOf: query.until,
      direction: query.direction ?? 'dependencies',
      depth: query.depth ?? DEFAULT_IMPACT_DEPTH,
      types: undefined,
      includeRetired: true,
      limit: MAX_IMPACT_ITEMS,
    });
    if (!impact) throw ciNotFound(root, query.until === undefined ? undefined : { asOf: query.until });
    return [root, ...impact.items.filter((item) => !item.missing).map((item) => item.ciId)];
  }

  return router;
}
