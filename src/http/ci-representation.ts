import type { Response } from 'express';
import type { CiSnapshot } from '../application/ci-command-handler';
import type { CiSnapshotJson } from '../application/ci-queries';
import type { HistoryPoint } from '../application/history-point';
import { problem } from './problem';

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

/**
 * ciRepresentation written from JSON texts (CiSnapshotJson): the document's
 * members are spliced in as stored, in the order they were stored (the
 * schema's: every document is written from a parsed one), never parsed.
 */
export function ciRepresentationJson(ci: CiSnapshotJson): string {
  const { document } = ci;
  // A CI document always has members (its schema requires five); anything else is a broken view.
  if (!document.startsWith('{') || document === '{}')
    throw new Error(`CI ${ci.ciId}: stored document is not a CI document`);
  return `{"id":${ci.ciId},${document.slice(1, -1)},"revision":${ci.revision},"recordedAt":${ci.recordedAt}}`;
}

/** The ETag of one CI is its revision, as a strong validator. */
export function etagFor(revision: number): string {
  return `"${revision}"`;
}

export function sendCi(res: Response, ci: CiSnapshot, status = 200): void {
  res.status(status).setHeader('ETag', etagFor(ci.revision)).json(ciRepresentation(ci));
}

/** 404 for a CI that does not exist, or did not at the point asked for. */
export function ciNotFound(ciId: string, point: HistoryPoint | undefined) {
  if (point === undefined) {
    return problem(404, 'ci-not-found', 'CI not found', `CI "${ciId}" does not exist; list CIs with GET /api/v1/cis`);
  }
  const detail =
    'revision' in point
      ? `CI "${ciId}" has no revision ${point.revision} (or does not exist)`
      : `CI "${ciId}" did not exist at ${new Date(point.asOf).toISOString()}`;
  return problem(404, 'ci-not-found', 'CI not found at that point', detail);
}
