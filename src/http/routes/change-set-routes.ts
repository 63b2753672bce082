import { Router } from 'express';
import { z } from 'zod';
import type { ChangeSetReverter } from '../../application/change-set-revert';
import { invalidRequest } from '../problem';
import { parseWith } from '../request-parsing';
import { changeMetadata } from '../write-headers';

export const RevertBodySchema = z.strictObject({
  reason: z.string().max(4096).optional(),
  /** The new change reference the reverts are recorded under; default `revert:<changeRef>`. */
  changeRef: z.string().min(1).max(256).optional(),
  dryRun: z.boolean().default(false),
  /** Revert CIs whose fields were changed again later too, undoing those later changes. */
  force: z.boolean().default(false),
});

/** Undoing a whole change set, CI by CI (admin). */
export function changeSetRoutes(reverter: ChangeSetReverter): Router {
  const router = Router();

  router.post('/change-sets/:changeRef/revert', async (req, res) => {
    const changeRef = req.params.changeRef;
    if (changeRef.length > 256)
      throw invalidRequest([{ field: 'changeRef', message: 'must be at most 256 characters' }]);
    const body = parseWith(RevertBodySchema, req.body ?? {});
    const revertRef = body.changeRef ?? `revert:${changeRef}`;
    if (revertRef.length > 256) {
      throw invalidRequest([
        { field: 'changeRef', message: 'is required here: the default revert:<changeRef> would exceed 256 characters' },
      ]);
    }
    if (revertRef === changeRef) {
      throw invalidRequest([
        { field: 'changeRef', message: 'must differ from the change set reverted: a revert is a new change' },
      ]);
    }
    const metadata = {
      ...changeMetadata(req, {
        reason: body.reason ?? `revert of change set ${changeRef}`,
        changeRef: revertRef,
        source: 'revert',
      }),
      changeRef: revertRef,
    };
    const items = await reverter.revert({ changeRef, dryRun: body.dryRun, force: body.force, metadata });
    const counts: Record<string, number> = {};
    for (const item of items) counts[item.outcome] = (counts[item.outcome] ?? 0) + 1;
    res.json({ changeRef, revertChangeRef: revertRef, dryRun: body.dryRun, counts, items });
  });

  return router;
}
