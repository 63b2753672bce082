import type { Request, RequestHandler } from 'express';
import type { ServiceMetrics } from '../application/service-metrics';

/**
 * Times every request and counts it by method, route and status. The route
 * is the matched path pattern (`/api/v1/cis/:id`), never the URL: one series
 * per route, whatever the ids.
 */
export function measureRequests(metrics: ServiceMetrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpRequests.startTimer();
    res.once('finish', () => end({ method: req.method, route: routeOf(req), status: String(res.statusCode) }));
    next();
  };
}

function routeOf(req: Request): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  return typeof route === 'string' ? `${req.baseUrl}${route}` : 'unmatched';
}

/** GET /metrics: the Prometheus text format. */
export function metricsRoute(metrics: ServiceMetrics): RequestHandler {
  return (_req, res, next) => {
    metrics.registry
      .metrics()
      .then((text) => res.type(metrics.registry.contentType).send(text))
      .catch(next);
  };
}
