import { Router } from 'express';
import { z } from 'zod';
import type { VerifyResult } from '../../application/verify-log';
import { CiIdSchema, TokenSchema } from '../../domain';
import type { EvidencePack } from '../../application/evidence-pack';
import type { EvidenceRequest } from '../../application/make-evidence';
import { problem } from '../problem';
import { InstantSchema, NoQuerySchema, parseWith } from '../request-parsing';

export interface AuditDeps {
  /** Recomputes the hash chain of the whole log. */
  verify(): Promise<VerifyResult>;
  /** Makes a signed evidence pack; absent, evidence is not offered. */
  evidence?(request: EvidenceRequest): Promise<EvidencePack>;
  /** The public key packs are signed with. */
  readonly publicKey?: { readonly keyId: string; readonly pem: string };
}

export const EvidenceQuerySchema = z.strictObject({
  asOf: InstantSchema,
  ciId: CiIdSchema.optional(),
  type: TokenSchema.optional(),
});

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
    parseWith(NoQuerySchema, req.query);
    running ??= deps.verify().finally(() => {
      running = undefined;
    });
    res.setHeader('Cache-Control', 'no-store').json(await running);
  });
  router.get('/evidence', async (req, res) => {
    const query = parseWith(EvidenceQuerySchema, req.query);
    if (!deps.evidence) throw problem(404, 'not-found', 'Evidence not offered', 'this server makes no evidence packs');
    const pack = await deps.evidence(query);
    const name = `evidence-${pack.asOf.replace(/[:.]/g, '-')}${query.ciId ? `-${query.ciId}` : ''}.json`;
    res
      .setHeader('Content-Disposition', `attachment; filename="${name}"`)
      .setHeader('Cache-Control', 'no-store')
      .json(pack);
  });

  router.get('/evidence/public-key', (req, res) => {
    parseWith(NoQuerySchema, req.query);
    if (!deps.publicKey) throw problem(404, 'not-found', 'Evidence not offered', 'this server makes no evidence packs');
    res.json({ algorithm: 'Ed25519', keyId: deps.publicKey.keyId, publicKey: deps.publicKey.pem });
  });

  return router;
}
