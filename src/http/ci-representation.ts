import type { Response } from 'express';
import type { CiSnapshot } from '../application/ci-command-handler';

/** The API's CI representation: `{id, type, name, status, attributes, relationships, revision, recordedAt}`. */
export function ciRepresentation(ci: CiSnapshot) {
  const { type, name, status, attributes, relationships } = ci.document;
  return {
    id: ci.ciId,
    type,
    name,
    status,
    attributes,
    relationships,
    revision: ci.revision,
    recordedAt: ci.recordedAt,
  };
}

/** The ETag of one CI is its revision, as a strong validator. */
export function etagFor(revision: number): string {
  return `"${revision}"`;
}

export function sendCi(res: Response, ci: CiSnapshot, status = 200): void {
  res.status(status).setHeader('ETag', etagFor(ci.revision)).json(ciRepresentation(ci));
}
