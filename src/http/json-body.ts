import express, { type RequestHandler } from 'express';
import { MAX_ATTRIBUTE_DEPTH } from '../domain';

export const BODY_LIMIT = '1mb';

/**
 * A request body may nest this deep: the body object, the attributes object,
 * and the attribute levels the domain allows (MAX_ATTRIBUTE_DEPTH).
 */
export const MAX_BODY_DEPTH = MAX_ATTRIBUTE_DEPTH + 2;

/** Raised before parsing, so that no recursive code ever sees a hostile body. */
export class BodyTooDeepError extends Error {
  readonly type = 'entity.too.deep';
  readonly status = 400;
  constructor(readonly maxDepth: number) {
    super(`the JSON body nests deeper than ${maxDepth} levels`);
  }
}

/**
 * The nesting depth of raw JSON text, counted byte by byte (brackets inside
 * strings do not count), stopping as soon as it exceeds `max`. Linear and
 * without recursion, so it is safe on any input up to the body size limit.
 */
export function exceedsDepth(body: Uint8Array, max: number): boolean {
  const QUOTE = 0x22;
  const BACKSLASH = 0x5c;
  let depth = 0;
  let inString = false;
  for (let index = 0; index < body.length; index++) {
    const byte = body[index]!;
    if (inString) {
      if (byte === BACKSLASH) index++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > max) return true;
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** express.json() for every JSON media type, refusing bodies nested deeper than MAX_BODY_DEPTH. */
export function jsonBodyParser(): RequestHandler {
  return express.json({
    limit: BODY_LIMIT,
    strict: false, // non-object bodies reach validation, which names the problem
    type: ['application/json', 'application/merge-patch+json', 'application/*+json'],
    verify: (_req, _res, body) => {
      if (exceedsDepth(body, MAX_BODY_DEPTH)) throw new BodyTooDeepError(MAX_BODY_DEPTH);
    },
  });
}
