import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CiCommandHandler } from '../application/ci-command-handler';
import type { CiQueries } from '../application/ci-queries';
import type { GraphQueries } from '../application/graph-queries';
import type { TypeCatalogue } from '../application/type-catalogue';
import type { ChangeSetReverter } from '../application/change-set-revert';
import type { Baselines } from '../application/baselines';
import type { Reports } from '../application/reports';
import type { Imports } from '../application/imports';
import type { Reconciliations } from '../application/reconciliations';
import type { Clock } from '../ports/clock';
import { methodRoutes } from './allowed-methods';
import { authorization, redactTicket, type AuthOptions } from './authorization';
import { jsonBodyParser } from './json-body';
import { problem, problemHandler } from './problem';
import type { ReplaySlots } from './replay-slots';
import { auditRoutes, type AuditDeps } from './routes/audit-routes';
import { changeRoutes } from './routes/change-routes';
import { changeStreamRoutes, type ChangeStreamOptions } from './routes/change-stream-routes';
import { ciReadRoutes } from './routes/ci-read-routes';
import { graphRoutes } from './routes/graph-routes';
import { ciWriteRoutes } from './routes/ci-write-routes';
import { typeRoutes } from './routes/type-routes';
import { changeSetRoutes } from './routes/change-set-routes';
import { baselineRoutes } from './routes/baseline-routes';
import { reportRoutes } from './routes/report-routes';
import { importRoutes } from './routes/import-routes';
import { reconciliationRoutes } from './routes/reconciliation-routes';
import { healthRoutes, type ReadinessProbe } from './routes/health-routes';
import { measureRequests, metricsRoute } from './metrics';
import { openApiRoutes } from './openapi/openapi-routes';
import { consoleRoutes } from './console-routes';
import { whoamiRoutes } from './routes/whoami-routes';
import type { ServiceMetrics } from '../application/service-metrics';

export interface AppDeps {
  readonly commands: CiCommandHandler;
  readonly queries: CiQueries;
  readonly graph: GraphQueries;
  readonly types: TypeCatalogue;
  readonly changeSets: ChangeSetReverter;
  readonly baselines: Baselines;
  readonly reports: Reports;
  readonly imports: Imports;
  readonly reconciliations: Reconciliations;
  readonly readiness: ReadinessProbe;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly changeStream: ChangeStreamOptions;
  readonly audit: AuditDeps;
  /** Authentication and roles; absent, authentication is off (and X-Actor is recorded as the actor). */
  readonly auth?: AuthOptions | undefined;
  /** Prometheus metrics: HTTP requests are measured and GET /metrics serves them; absent, neither. */
  readonly metrics?: ServiceMetrics | undefined;
  /** Shared so the service can report them; made from `changeStream.maxReplays` when absent. */
  readonly replaySlots?: ReplaySlots;
}

/**
 * Request and response headers that carry credentials: the request log keeps
 * that they were sent, never their value, whatever logger the app is given.
 */
export const REDACTED_HEADERS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-auth-token"]',
  'req.query.ticket', // a change-stream ticket (its URL is redacted by the req serializer)
  'res.headers["set-cookie"]',
];

/** Builds the HTTP app from its dependencies: no singletons, so tests build their own. */
export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // ETags are CI revisions, set by the routes that have one
  app.set('query parser', 'simple');

  const requestId: (req: IncomingMessage, res: ServerResponse) => string = (req, res) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && given.length > 0 && given.length <= 256 ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    return id;
  };
  // The request log binds each request to a child logger, serialising the request as it does:
  // where the logger writes nothing at all (LOG_LEVEL=silent), only the request id is kept.
  if (deps.logger.isLevelEnabled('fatal')) {
    app.use(
      pinoHttp({
        logger: deps.logger.child({}, { redact: { paths: REDACTED_HEADERS, censor: '[redacted]' } }),
        serializers: {
          req: (req: { url: string }) => Object.assign(req, { url: redactTicket(req.url) }),
        },
        genReqId: requestId,
        customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      }),
    );
  } else {
    app.use((req, res, next) => {
      req.id = requestId(req, res);
      next();
    });
  }
  // The correlation id recorded on events is the request id, given or generated.
  app.use((req, _res, next) => {
    req.headers['x-request-id'] = String(req.id);
    next();
  });
  if (deps.metrics) app.use(measureRequests(deps.metrics));
  app.use(jsonBodyParser());
  const authz = deps.auth && authorization(deps.auth);
  if (deps.metrics) app.get('/metrics', ...(authz ? [authz.authenticate] : []), metricsRoute(deps.metrics));

  // The API's description, its reference page and the console's files are public: they hold no data.
  app.use(openApiRoutes());
  app.use(consoleRoutes());

  const health = healthRoutes(deps.readiness);
  const healthMethods = methodRoutes([health]);
  app.use(healthMethods.options, health, healthMethods.notAllowed);

  const routers = [
    ciWriteRoutes(deps.commands),
    ciReadRoutes(deps.queries),
    graphRoutes(deps.graph, deps.clock),
    changeStreamRoutes(deps.queries, deps.changeStream, deps.logger, deps.replaySlots, deps.metrics?.streamClients),
    changeRoutes(deps.queries, deps.graph, deps.clock),
    auditRoutes(deps.audit),
    typeRoutes(deps.types),
    changeSetRoutes(deps.changeSets),
    baselineRoutes(deps.baselines, deps.clock),
    reportRoutes(deps.reports, deps.clock),
    importRoutes(deps.imports),
    reconciliationRoutes(deps.reconciliations),
    whoamiRoutes(authz !== undefined),
  ];
  const api = express.Router();
  if (authz) {
    api.use(authz.authenticate);
    routers.unshift(authz.tickets);
  }
  const apiMethods = methodRoutes(routers);
  api.use(apiMethods.options, ...routers, apiMethods.notAllowed);
  app.use('/api/v1', api);

  app.use((req, _res, next) => {
    next(problem(404, 'not-found', 'Not found', `no route for ${req.method} ${req.path}; the API lives under /api/v1`));
  });
  app.use(problemHandler(deps.logger));
  return app;
}
