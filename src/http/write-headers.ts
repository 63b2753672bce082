import { isUtf8 } from 'node:buffer';
import type { Request } from 'express';
import { z } from 'zod';
import type { ChangeMetadata } from '../domain';
import { principalOf } from './authorization';
import type { WriteOptions } from '../application/ci-command-handler';
import { invalidRequest, problem } from './problem';
import { parseWith } from './request-parsing';

/**
 * Change metadata comes from headers: X-Actor, X-Change-Reason, X-Change-Ref
 * and X-Request-Id (the correlation id, generated when absent). With
 * authentication on, the actor is the principal and X-Actor is recorded as
 * `onBehalfOf`; with it off, X-Actor is the actor. The source is the
 * server's, from the operation: a client cannot claim `restore` or `import`.
 */
const HeadersSchema = z.object({
  'X-Actor': z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters').optional(),
  'X-Change-Reason': z.string().max(4096, 'must be at most 4096 characters').optional(),
  'X-Change-Ref': z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters').optional(),
  'X-Change-Source': z
    .undefined({
      error: 'is not accepted: the server records the source from the operation (api, restore, import, …)',
    })
    .optional(),
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
  const principal = principalOf(req);
  return {
    actor: principal ? principal.name : (headers['X-Actor'] ?? ANONYMOUS_ACTOR),
    onBehalfOf: principal ? (headers['X-Actor'] ?? null) : null,
    reason: overrides.reason ?? headers['X-Change-Reason'] ?? null,
    changeRef: overrides.changeRef ?? headers['X-Change-Ref'] ?? null,
    source: overrides.source ?? 'api',
    correlationId: headers['X-Request-Id'] ?? null,
  };
}

function pickHeaders(req: Request): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of Object.keys(HeadersSchema.shape)) {
    const value = req.headers[name.toLowerCase()];
    if (value !== undefined) picked[name] = decodeHeaderText(name, value);
  }
  return picked;
}

const EXT_VALUE = /^utf-8'[A-Za-z0-9-]*'(.*)$/i;

/**
 * Text in a header, as Unicode. Node reads header bytes as Latin-1, so UTF-8
 * sent as-is (what curl and most clients do) arrives as mojibake ("JosÃ©"):
 * the bytes are re-read as UTF-8. Clients that can only send ASCII (browsers'
 * fetch) use the RFC 8187 form `UTF-8''Jos%C3%A9`. Bytes that are neither
 * are refused, never stored garbled.
 */
export function decodeHeaderText(name: string, value: string | string[]): string | string[] {
  if (Array.isArray(value)) return value;
  const extended = EXT_VALUE.exec(value);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]!);
    } catch {
      throw invalidRequest([
        { field: name, message: "has an RFC 8187 value (UTF-8''…) that is not valid percent-encoded UTF-8" },
      ]);
    }
  }
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  if (isUtf8(bytes)) return bytes.toString('utf8');
  throw invalidRequest([
    {
      field: name,
      message: "is not valid UTF-8; send the text as UTF-8, or percent-encoded in the RFC 8187 form UTF-8''Jos%C3%A9",
    },
  ]);
}

/**
 * If-Match: `*` (the CI must exist) or a list of ETags, `"<revision>"`, any
 * of which matches. Weak validators (`W/"3"`) never match for a write (RFC
 * 9110 §13.1.1: If-Match uses the strong comparison), so a list of only weak
 * ones fails the precondition: 412, nothing appended.
 * `If-None-Match: *` makes a write create-only. Anything else is a 400 rather
 * than a silent ignore.
 */
export function writePreconditions(req: Request): Pick<WriteOptions, 'ifMatch' | 'createOnly'> {
  const ifMatchHeader = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  let ifMatch: WriteOptions['ifMatch'];
  if (ifMatchHeader !== undefined) {
    ifMatch = parseIfMatch(ifMatchHeader);
  }
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw invalidRequest([{ field: 'If-None-Match', message: 'only * is supported on writes (create only)' }]);
  }
  return { ifMatch, createOnly: ifNoneMatch !== undefined };
}

const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

function parseIfMatch(header: string): readonly number[] | '*' {
  if (header.trim() === '*') return '*';
  const revisions: number[] = [];
  let weak = 0;
  for (const part of header.split(',')) {
    const tag = ENTITY_TAG.exec(part.trim());
    if (!tag) {
      throw invalidRequest([
        { field: 'If-Match', message: 'must be * or ETags as returned by this API, e.g. "3" (with the quotes)' },
      ]);
    }
    if (tag[1]) weak++;
    else if (/^\d{1,15}$/.test(tag[2]!)) revisions.push(Number(tag[2]));
    // A strong tag that is not a revision matches nothing, like any stale ETag.
  }
  if (revisions.length === 0) {
    const why =
      weak > 0
        ? 'If-Match held only weak ETags (W/"…"), which never match for a write (RFC 9110 §13.1.1)'
        : 'If-Match names no revision this API ever returned';
    throw problem(412, 'precondition-failed', 'Precondition failed', `${why}; send the strong ETag, e.g. "3"`);
  }
  return revisions;
}
