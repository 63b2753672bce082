import { Router } from 'express';
import { z } from 'zod';
import { TokenSchema } from '../../domain';
import type { GraphQueries } from '../../application/graph-queries';
import type { Clock } from '../../ports/clock';
import { ciNotFound } from '../ci-representation';
import { BooleanTextSchema, InstantSchema, IntegerTextSchema, parseCiId, parseWith } from '../request-parsing';

export const MAX_IMPACT_DEPTH = 10;
export const DEFAULT_IMPACT_DEPTH = 5;
export const MAX_IMPACT_ITEMS = 10_000;
export const DEFAULT_IMPACT_ITEMS = 1000;

export const ImpactDepthSchema = IntegerTextSchema.refine(
  (n) => n >= 1 && n <= MAX_IMPACT_DEPTH,
  `must be between 1 and ${MAX_IMPACT_DEPTH}`,
);

export const ImpactDirectionSchema = z.enum(['dependents', 'dependencies'], {
  error: 'must be dependents (who is affected if this CI fails) or dependencies (what this CI relies on)',
});

/** `types=runs_on,depends_on`: the relationship types to follow. */
const TypesSchema = z
  .string()
  .transform((text) => text.split(','))
  .pipe(z.array(TokenSchema).min(1).max(64));

export const RelationshipsQuerySchema = z.strictObject({
  asOf: InstantSchema.optional(),
  direction: z.enum(['out', 'in', 'both'], { error: 'must be out, in or both' }).default('both'),
});

export const ImpactQuerySchema = z.strictObject({
  asOf: InstantSchema.optional(),
  direction: ImpactDirectionSchema.default('dependents'),
  depth: ImpactDepthSchema.default(DEFAULT_IMPACT_DEPTH),
  types: TypesSchema.optional(),
  includeRetired: BooleanTextSchema.default(false),
  limit: IntegerTextSchema.refine(
    (n) => n >= 1 && n <= MAX_IMPACT_ITEMS,
    `must be between 1 and ${MAX_IMPACT_ITEMS}`,
  ).default(DEFAULT_IMPACT_ITEMS),
});

/** The relationship graph as of any instant: edges around a CI, and its impact (blast radius). */
export function graphRoutes(graph: GraphQueries, clock: Clock): Router {
  const router = Router();

  router.get('/cis/:id/relationships', async (req, res) => {
    const ciId = parseCiId(req.params.id);
    const query = parseWith(RelationshipsQuerySchema, req.query);
    const items = await graph.relationships(ciId, query.asOf, query.direction);
    if (!items) throw ciNotFound(ciId, query.asOf === undefined ? undefined : { asOf: query.asOf });
    res.json({ items });
  });

  router.get('/cis/:id/impact', async (req, res) => {
    const ciId = parseCiId(req.params.id);
    const query = parseWith(ImpactQuerySchema, req.query);
    const asOf = query.asOf ?? clock.now().getTime();
    const impact = await graph.impact(ciId, { ...query, types: query.types, asOf: query.asOf });
    if (!impact) throw ciNotFound(ciId, query.asOf === undefined ? undefined : { asOf: query.asOf });
    res.json({
      root: impact.root,
      asOf: new Date(asOf).toISOString(),
      items: impact.items,
      truncated: impact.truncated,
    });
  });

  return router;
}
