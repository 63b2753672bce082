import type { Request } from 'express';
import { z } from 'zod';
import { ChangeSourceSchema, type ChangeMetadata } from '../domain';
import type { WriteOptions } from '../application/ci-command-handler';
import { invalidRequest } from './problem';
import { parseWith } from './request-parsing';

/**
 * Change metadata comes from headers: X-Actor (trusted while authentication
 * is off), X-Change-Reason, X-Change-Ref, X-Change-Source and X-Request-Id
 * (the correlation id, generated when absent).
 */
const HeadersSchema = z.object({
  'X-Actor': z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters').optional(),
  'X-Change-Reason': z.string().max(4096, 'must be at most 4096 characters').optional(),
  'X-Change-Ref': z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters').optional(),
  'X-Change-Source': ChangeSourceSchema.optional(),
  'X-Request-Id': z.string().max(256, 'must be at most 256 characters').optional(),
});

export const ANONYMOUS_ACTOR = 'anonymous';

export interface MetadataOverrides {
  readonly reason?: string | undefined;
  readonly changeRef?: string | undefined;
  readonly source?: string | undefined;
}

export function changeMetadata(req: Request, overrides: MetadataOverrides = {}): ChangeMetadata {
  const headers = parseWith(HeadersSchema, pickHeaders(req));
  return {
    actor: headers['X-Actor'] ?? ANONYMOUS_ACTOR,
    reason: overrides.reason ?? headers['X-Change-Reason'] ?? null,
    changeRef: overrides.changeRef ?? headers['X-Change-Ref'] ?? null,
    source: overrides.source ?? headers['X-Change-Source'] ?? 'api',
    correlationId: headers['X-Request-Id'] ?? null,
  };
}

function pickHeaders(req: Request): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of Object.keys(HeadersSchema.shape)) {
    const value = req.headers[name.toLowerCase()];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/**
 * If-Match takes one strong ETag, `"<revision>"`; `If-None-Match: *` makes a
 * write create-only. Anything else is a 400 rather than a silent ignore.
 */
export function writePreconditions(req: Request): Pick<WriteOptions, 'ifMatchRevision' | 'createOnly'> {
  const ifMatch = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  let ifMatchRevision: number | undefined;
  if (ifMatch !== undefined) {
    const match = /^\s*"(\d{1,15})"\s*$/.exec(ifMatch);
    if (!match) {
      throw invalidRequest([
        { field: 'If-Match', message: 'must be one ETag as returned by this API, e.g. "3" (with the quotes)' },
      ]);
    }
    ifMatchRevision = Number(match[1]);
  }
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw invalidRequest([{ field: 'If-None-Match', message: 'only * is supported on writes (create only)' }]);
  }
  return { ifMatchRevision, createOnly: ifNoneMatch !== undefined };
}
