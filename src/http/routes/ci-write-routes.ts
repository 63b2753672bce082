import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { CiIdSchema, DesiredCiLineSchema, desiredStateShape, type DesiredCiState } from '../../domain';
import type { CiCommandHandler, WriteOutcome } from '../../application/ci-command-handler';
import type { HistoryPoint } from '../../application/history-point';
import { sendCi } from '../ci-representation';
import { invalidRequest, problem } from '../problem';
import { InstantSchema, parseCiId, parseWith } from '../request-parsing';
import { changeMetadata, writePreconditions } from '../write-headers';

const desiredShape = desiredStateShape;

/**
 * PUT body: the full desired state. `id`, `revision` and `recordedAt` are
 * accepted so a client can send back what it read (id must match the URL;
 * the other two are server-managed and ignored: use If-Match for concurrency).
 */
export const PutBodySchema = z.strictObject({
  ...desiredShape,
  id: CiIdSchema.optional(),
  revision: z.unknown().optional(),
  recordedAt: z.unknown().optional(),
});

export const PostBodySchema = DesiredCiLineSchema;

export const RestoreBodySchema = z
  .strictObject({
    asOf: InstantSchema.optional(),
    revision: z.number().int().min(1).optional(),
    reason: z.string().max(4096).optional(),
    changeRef: z.string().min(1).max(256).optional(),
    dryRun: z.boolean().default(false),
  })
  .refine((body) => (body.asOf === undefined) !== (body.revision === undefined), {
    message: 'give exactly one of asOf (an RFC 3339 date-time) or revision (a number)',
    path: ['asOf'],
  });

/** DELETE may carry its change metadata in a body (for text a header cannot hold). */
export const RetireBodySchema = z.strictObject({
  reason: z.string().max(4096).optional(),
  changeRef: z.string().min(1).max(256).optional(),
});

/**
 * Writes take no query parameters: a `?dryRun=true` that was silently
 * ignored would perform the real write. Every one is refused, by name.
 */
function refuseQuery(req: Request): void {
  const names = Object.keys(req.query as object);
  if (names.length === 0) return;
  throw invalidRequest(
    names.map((name) => ({
      field: name,
      message: 'is not a query parameter of this write; writes take their options in the JSON body',
    })),
  );
}

export function ciWriteRoutes(commands: CiCommandHandler): Router {
  const router = Router();

  router.put('/cis/:id', async (req, res) => {
    refuseQuery(req);
    const ciId = parseCiId(req.params.id);
    const body = parseWith(PutBodySchema, requireJsonBody(req));
    if (body.id !== undefined && body.id !== ciId) {
      throw invalidRequest([{ field: 'id', message: `must match the id in the URL ("${ciId}") or be left out` }]);
    }
    const outcome = await commands.execute(
      { type: 'DeclareCi', ciId, desired: desired(body) },
      { metadata: changeMetadata(req), ...writePreconditions(req) },
    );
    sendWrite(req, res, outcome);
  });

  router.post('/cis', async (req, res) => {
    refuseQuery(req);
    const body = parseWith(PostBodySchema, requireJsonBody(req));
    const outcome = await commands.execute(
      { type: 'RegisterCi', ciId: body.id, desired: desired(body) },
      { metadata: changeMetadata(req), ...writePreconditions(req) },
    );
    sendWrite(req, res, outcome);
  });

  router.patch('/cis/:id', async (req, res) => {
    refuseQuery(req);
    const ciId = parseCiId(req.params.id);
    const mergePatch = requireJsonBody(req, ['application/merge-patch+json', 'application/json']);
    const outcome = await commands.execute(
      { type: 'PatchCi', ciId, mergePatch },
      { metadata: changeMetadata(req), ...writePreconditions(req) },
    );
    sendWrite(req, res, outcome);
  });

  router.delete('/cis/:id', async (req, res) => {
    refuseQuery(req);
    const ciId = parseCiId(req.params.id);
    const body = hasBody(req) ? parseWith(RetireBodySchema, requireJsonBody(req)) : {};
    const outcome = await commands.execute(
      { type: 'RetireCi', ciId },
      { metadata: changeMetadata(req, { reason: body.reason, changeRef: body.changeRef }), ...writePreconditions(req) },
    );
    sendWrite(req, res, outcome);
  });

  router.post('/cis/:id/restore', async (req, res) => {
    refuseQuery(req);
    const ciId = parseCiId(req.params.id);
    const body = parseWith(RestoreBodySchema, requireJsonBody(req));
    const point: HistoryPoint = body.revision !== undefined ? { revision: body.revision } : { asOf: body.asOf! };
    const field = body.revision !== undefined ? 'revision' : 'asOf';
    if (body.dryRun) {
      const preview = await commands.previewRestore(ciId, point, field);
      res.json({ patch: preview.patch });
      return;
    }
    const metadata = changeMetadata(req, { reason: body.reason, changeRef: body.changeRef, source: 'restore' });
    const outcome = await commands.restore(ciId, point, field, { metadata, ...writePreconditions(req) });
    sendWrite(req, res, outcome);
  });

  return router;
}

function desired(body: z.output<typeof PostBodySchema> | z.output<typeof PutBodySchema>): DesiredCiState {
  return {
    type: body.type,
    name: body.name,
    status: body.status,
    attributes: body.attributes,
    relationships: body.relationships,
  };
}

/**
 * The body parser only reads JSON media types; anything else arrives as
 * undefined, and deserves a 415 (wrong type) or a 400 (no body) that says so.
 */
function requireJsonBody(req: Request, accepted: readonly string[] = ['application/json']): unknown {
  const contentType = req.headers['content-type'];
  if (contentType === undefined || req.body === undefined) {
    if (contentType !== undefined && !req.is(accepted as string[])) throw unsupportedMediaType(accepted);
    throw invalidRequest([
      { field: '(body)', message: `is required: send a JSON document with Content-Type: ${accepted[0]}` },
    ]);
  }
  if (!req.is(accepted as string[])) throw unsupportedMediaType(accepted);
  return req.body as unknown;
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function unsupportedMediaType(accepted: readonly string[]) {
  return problem(415, 'unsupported-media-type', 'Unsupported media type', `send the body as ${accepted.join(' or ')}`);
}

function sendWrite(req: Request, res: Response, outcome: WriteOutcome): void {
  res.setHeader('X-Position', String(outcome.position));
  if (outcome.created) res.setHeader('Location', `${req.baseUrl}/cis/${encodeURIComponent(outcome.ci.ciId)}`);
  sendCi(res, outcome.ci, outcome.created ? 201 : 200);
}
