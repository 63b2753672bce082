import { Router } from 'express';
import { NoQuerySchema, parseWith } from '../request-parsing';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Record<string, { readonly ok: boolean } & Record<string, unknown>>;
}

/** Answers /readyz: are the stores reachable and are the views close enough to the log? */
export interface ReadinessProbe {
  check(): Promise<ReadinessReport>;
}

export function healthRoutes(readiness: ReadinessProbe): Router {
  const router = Router();
  router.get('/livez', (req, res) => {
    parseWith(NoQuerySchema, req.query);
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    parseWith(NoQuerySchema, req.query);
    const report = await readiness.check();
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not ready', checks: report.checks });
  });
  return router;
}
