import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import {
  CiAlreadyExistsError,
  CiNotFoundError,
  BaselineExistsError,
  BaselineNotFoundError,
  ChangeSetNotFoundError,
  CiRulesViolatedError,
  HistoryPointNotFoundError,
  InvalidCiError,
  MAX_ATTRIBUTE_DEPTH,
  type FieldIssue,
} from '../domain';
import { ChangeRefusedError } from '../application/change-policy';
import { LogDoesNotVerifyError } from '../application/make-evidence';
import { AttributeSchemaError } from '../application/attribute-schema';
import { TypeNotFoundError, UnknownTypeReferenceError } from '../application/type-catalogue';
import {
  BatchInterruptedError,
  GraphTooWideError,
  PositionBeyondLogError,
  PreconditionFailedError,
  ViewsBehindError,
  WriteContentionError,
} from '../application/errors';
import { AppendTooLargeError, ConcurrencyError, StoreUnavailableError } from '../ports/event-store';

/**
 * RFC 9457 problem details. Every error class gets its HTTP meaning here,
 * once; routes just throw.
 */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldIssue[];
  readonly retryAfterSeconds?: number;
  /** Extension members (RFC 9457 §3.2): what a multi-CI operation did before it stopped. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** Response headers that go with it (WWW-Authenticate on a 401), not part of the body. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A problem raised by the HTTP layer itself (bad query, bad header, bad body). */
export class HttpProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

const TYPE_BASE = 'urn:configledger:problem:';

export function invalidRequest(issues: readonly FieldIssue[]): HttpProblem {
  return new HttpProblem({
    type: `${TYPE_BASE}invalid-request`,
    title: 'Invalid request',
    status: 400,
    detail: issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
    errors: issues,
  });
}

export function problem(
  status: number,
  slug: string,
  title: string,
  detail: string,
  extra: Pick<Problem, 'retryAfterSeconds'> = {},
): HttpProblem {
  return new HttpProblem({ type: `${TYPE_BASE}${slug}`, title, status, detail, ...extra });
}

/** A 422: the request is well formed, but the named field asks for what cannot be done. */
function unprocessable(slug: string, title: string, field: string, detail: string): Problem {
  return { ...problem(422, slug, title, detail).problem, errors: [{ field, message: detail }] };
}

/** Maps any thrown value to a problem; unknown errors become a 500 that leaks nothing. */
export function toProblem(error: unknown): Problem {
  if (error instanceof HttpProblem) return error.problem;
  if (error instanceof InvalidCiError) return invalidRequest(error.issues).problem;
  if (error instanceof CiNotFoundError) return problem(404, 'ci-not-found', 'CI not found', error.message).problem;
  if (error instanceof CiAlreadyExistsError) {
    return problem(409, 'ci-already-exists', 'CI already exists', error.message).problem;
  }
  if (error instanceof CiRulesViolatedError) {
    return {
      ...problem(422, 'ci-rules-violated', 'The change breaks the rules of the CI type', error.message).problem,
      errors: error.issues,
    };
  }
  if (error instanceof AttributeSchemaError) {
    return unprocessable(
      'invalid-schema',
      'Not a valid JSON Schema',
      'schema',
      `the attribute schema does not compile: ${error.message}`,
    );
  }
  if (error instanceof ChangeSetNotFoundError) {
    return problem(404, 'change-set-not-found', 'Change set not found', error.message).problem;
  }
  if (error instanceof BatchInterruptedError) {
    const cause = toProblem(error.cause);
    const status = cause.status >= 500 ? cause.status : 503;
    return {
      ...problem(status, `${error.operation}-interrupted`, `The ${error.operation} was interrupted`, error.message)
        .problem,
      retryAfterSeconds: 5,
      extensions: { done: error.done, notDone: error.notDone },
    };
  }
  if (error instanceof BaselineNotFoundError)
    return problem(404, 'baseline-not-found', 'Baseline not found', error.message).problem;
  if (error instanceof BaselineExistsError)
    return problem(409, 'baseline-exists', 'Baseline name taken', error.message).problem;
  if (error instanceof UnknownTypeReferenceError) {
    return unprocessable('unknown-type-reference', 'Unknown CI type', error.field, error.message);
  }
  if (error instanceof TypeNotFoundError)
    return problem(404, 'type-not-found', 'CI type not found', error.message).problem;
  if (error instanceof GraphTooWideError) {
    return unprocessable('graph-too-wide', 'Too many relationships for one answer', error.field, error.message);
  }
  if (error instanceof HistoryPointNotFoundError) {
    return unprocessable('history-point-not-found', 'No such point in the CI history', error.field, error.message);
  }
  if (error instanceof PreconditionFailedError) {
    return problem(412, 'precondition-failed', 'Precondition failed', error.message).problem;
  }
  if (error instanceof WriteContentionError || error instanceof ConcurrencyError) {
    return problem(409, 'write-contention', 'Concurrent change', error.message).problem;
  }
  if (error instanceof LogDoesNotVerifyError) {
    return problem(409, 'log-does-not-verify', 'The log does not verify', error.message).problem;
  }
  if (error instanceof ChangeRefusedError) {
    return unprocessable('change-refused', 'Change refused by policy', error.field, error.message);
  }
  if (error instanceof PositionBeyondLogError) {
    return invalidRequest([{ field: error.field, message: error.message }]).problem;
  }
  if (error instanceof ViewsBehindError) {
    return { ...problem(503, 'views-behind', 'Views not caught up', error.message).problem, retryAfterSeconds: 1 };
  }
  if (error instanceof AppendTooLargeError) {
    return problem(413, 'payload-too-large', 'Change too large for the event log', error.message).problem;
  }
  if (error instanceof StoreUnavailableError) {
    return {
      ...problem(503, 'store-unavailable', 'Storage unavailable', `${error.message}; retry later`).problem,
      retryAfterSeconds: 5,
    };
  }
  const bodyParserProblem = fromBodyParserError(error);
  if (bodyParserProblem) return bodyParserProblem;
  return problem(
    500,
    'internal',
    'Internal server error',
    'the server failed to handle this request; it has been logged',
  ).problem;
}

/**
 * Errors raised by express before a route runs: a path segment that is not
 * valid percent-encoded UTF-8, and the body parser's (which carry `type`, or
 * a zlib `code` when a Content-Encoding does not match the body).
 */
function fromBodyParserError(error: unknown): Problem | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if (error instanceof URIError && (error as { status?: unknown }).status === 400) {
    return invalidRequest([
      {
        field: '(path)',
        message: `is not valid percent-encoded UTF-8 (${error.message}); encode each byte of a UTF-8 character as %XX`,
      },
    ]).problem;
  }
  const { type, code, status } = error as { type?: unknown; code?: unknown; status?: unknown };
  const message = error instanceof Error ? error.message : String(type);
  if (type === undefined && typeof code === 'string' && status === 400) {
    // zlib's Z_DATA_ERROR and friends, brotli's ERR__ERROR_FORMAT_*: the body is not what Content-Encoding says.
    return problem(
      400,
      'bad-content-encoding',
      'Body does not match its Content-Encoding',
      `the body could not be decompressed as its Content-Encoding says (${message}); ` +
        'send it compressed with that encoding (gzip, deflate or br), or drop the Content-Encoding header',
    ).problem;
  }
  switch (type) {
    case 'entity.too.deep':
      return invalidRequest([
        {
          field: '(body)',
          message: `${message}; attributes may nest at most ${MAX_ATTRIBUTE_DEPTH} levels, so flatten the document`,
        },
      ]).problem;
    case 'entity.too.large':
      return problem(
        413,
        'body-too-large',
        'Request body too large',
        'the request body exceeds 1 MiB; send a smaller document',
      ).problem;
    case 'entity.parse.failed':
      return invalidRequest([{ field: '(body)', message: `is not valid JSON (${message}); send a JSON document` }])
        .problem;
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return problem(415, 'unsupported-encoding', 'Unsupported body encoding', `${message}; send UTF-8 JSON`).problem;
    case 'request.aborted':
      return problem(400, 'request-aborted', 'Request aborted', 'the request body was not received completely').problem;
    default:
      return undefined;
  }
}

export function sendProblem(res: Response, body: Problem, instance: string): void {
  if (body.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(body.retryAfterSeconds));
  for (const [name, value] of Object.entries(body.headers ?? {})) res.setHeader(name, value);
  const { retryAfterSeconds: _retry, headers: _headers, extensions, ...rest } = body;
  res
    .status(body.status)
    .type('application/problem+json')
    .send(JSON.stringify({ ...rest, ...extensions, instance }));
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const body = toProblem(error);
    if (body.status >= 500) {
      logger.error(
        { err: error, method: req.method, url: req.originalUrl, requestId: req.headers['x-request-id'] },
        'request failed',
      );
    }
    sendProblem(res, body, req.originalUrl);
  };
}
