import { Router, type Response } from 'express';
import { z } from 'zod';
import { CiTypeDefinitionSchema, TokenSchema, type CiTypeVersion } from '../../domain';
import { TypeNotFoundError, type TypeCatalogue } from '../../application/type-catalogue';
import { etagFor } from '../ci-representation';
import { invalidRequest } from '../problem';
import { InstantSchema, NoQuerySchema, parseWith } from '../request-parsing';
import { changeMetadata, writePreconditions } from '../write-headers';

export const AsOfQuerySchema = z.strictObject({ asOf: InstantSchema.optional() });

/** A type as the API shows it: its definition, plus revision and who recorded it, when and why. */
function typeRepresentation(version: CiTypeVersion) {
  return {
    type: version.type,
    revision: version.revision,
    recordedAt: version.recordedAt,
    ...version.definition,
    actor: version.metadata.actor,
    reason: version.metadata.reason,
    changeRef: version.metadata.changeRef,
  };
}

function sendType(res: Response, version: CiTypeVersion, status = 200): void {
  res.status(status).setHeader('ETag', etagFor(version.revision)).json(typeRepresentation(version));
}

function parseTypeName(value: unknown): string {
  return parseWith(TokenSchema, value, 'type');
}

/** CI types: defined by an admin (PUT), read by everyone, versioned like CIs. */
export function typeRoutes(catalogue: TypeCatalogue): Router {
  const router = Router();

  router.put('/types/:type', async (req, res) => {
    const type = parseTypeName(req.params.type);
    if (Object.keys(req.query as object).length > 0) {
      throw invalidRequest([
        { field: Object.keys(req.query as object)[0]!, message: 'is not a query parameter of PUT /types' },
      ]);
    }
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || !req.is('application/json')) {
      throw invalidRequest([
        { field: '(body)', message: 'is required: send {schema, relationships?, lifecycle?} as application/json' },
      ]);
    }
    const { type: named, ...rest } = body as Record<string, unknown>;
    if (named !== undefined && named !== type) {
      throw invalidRequest([{ field: 'type', message: `must match the type in the URL ("${type}") or be left out` }]);
    }
    // A definition read back (GET) may be sent again as it is: the server-managed fields are ignored.
    for (const field of ['revision', 'recordedAt', 'actor', 'reason', 'changeRef']) delete rest[field];
    const definition = parseWith(CiTypeDefinitionSchema, rest);
    const { ifMatch } = writePreconditions(req);
    const outcome = await catalogue.define(type, definition, changeMetadata(req), ifMatch);
    if (outcome.created) res.setHeader('Location', `${req.baseUrl}/types/${encodeURIComponent(type)}`);
    sendType(res, outcome.version, outcome.created ? 201 : 200);
  });

  router.get('/types', async (req, res) => {
    const query = parseWith(AsOfQuerySchema, req.query);
    const versions = await catalogue.list(query.asOf);
    res.json({ items: versions.map(typeRepresentation) });
  });

  router.get('/types/:type', async (req, res) => {
    const type = parseTypeName(req.params.type);
    const query = parseWith(AsOfQuerySchema, req.query);
    const version = query.asOf === undefined ? await catalogue.current(type) : await catalogue.at(type, query.asOf);
    if (!version) {
      throw new TypeNotFoundError(
        type,
        query.asOf === undefined
          ? `CI type "${type}" is not defined (CIs of that type are free-form); define it with PUT /api/v1/types/${type}`
          : `CI type "${type}" was not defined at ${new Date(query.asOf).toISOString()}`,
      );
    }
    sendType(res, version);
  });

  router.get('/types/:type/history', async (req, res) => {
    const type = parseTypeName(req.params.type);
    parseWith(NoQuerySchema, req.query);
    const versions = await catalogue.history(type);
    res.json({ items: versions.map(typeRepresentation) });
  });

  return router;
}
