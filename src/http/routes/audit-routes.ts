import { Router } from 'express';
import { z } from 'zod';
import type { VerifyResult } from '../../application/verify-log';
import { parseWith } from '../request-parsing';

export interface AuditDeps {
  /** Recomputes the hash chain of the whole log. */
  verify(): Promise<VerifyResult>;
}

/**
 * GET /verify (auditor): the hash chain recomputed, `{ok, events, head}` or
 * `{ok: false, position, ciId, reason}` for the first event that does not
 * verify. Always 200: a broken chain is the answer, not an error of the
 * call. Callers at the same time share one run.
 */
export function auditRoutes(deps: AuditDeps): Router {
  const router = Router();
  let running: Promise<VerifyResult> | undefined;
  router.get('/verify', async (req, res) => {
    parseWith(z.strictObject({}), req.query);
    running ??= deps.verify().finally(() => {
      running = undefined;
    });
    res.setHeader('Cache-Control', 'no-store').json(await running);
  });
  return router;
}
