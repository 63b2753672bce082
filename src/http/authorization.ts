import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type RequestHandler } from 'express';
import {
  InvalidTokenError,
  hasRole,
  ROLES,
  type Authenticator,
  type Principal,
  type Role,
} from '../ports/authenticator';
import { HttpProblem, problem } from './problem';

export interface AuthOptions {
  /** Tried in order; the first that knows the token decides. */
  readonly authenticators: readonly Authenticator[];
  /** Signs stream tickets; random per process unless given. */
  readonly ticketKey?: Buffer;
  /** How long a stream ticket opens streams; default 10 minutes. */
  readonly ticketTtlMs?: number;
}

/**
 * What each call needs. Reads need `reader`; writes (and single-CI restore)
 * `writer`; the audit calls `auditor`; configuration of the service `admin`.
 * Checked in this order, the first pattern that matches the method and path.
 */
const REQUIREMENTS: ReadonlyArray<readonly [RegExp, RegExp, Role]> = [
  [/^(GET|HEAD)$/, /^\/evidence\/public-key$/, 'reader'],
  [/^(GET|HEAD)$/, /^\/(verify|evidence)(\/|$)/, 'auditor'],
  [/^POST$/, /^\/changes\/stream\/tickets$/, 'reader'],
  [/^(PUT|POST|PATCH|DELETE)$/, /^\/types(\/|$)/, 'admin'],
  [/^POST$/, /^\/(baselines\/[^/]+\/restore|change-sets\/[^/]+\/revert)$/, 'admin'],
  [/^(GET|HEAD|OPTIONS)$/, /.*/, 'reader'],
  [/.*/, /.*/, 'writer'],
];

export function requiredRole(method: string, path: string): Role {
  return REQUIREMENTS.find(([methods, paths]) => methods.test(method) && paths.test(path))![2];
}

const principals = new WeakMap<Request, Principal>();

/** The authenticated caller, or undefined when authentication is off. */
export function principalOf(req: Request): Principal | undefined {
  return principals.get(req);
}

const CHALLENGE = 'Bearer realm="configledger"';

function unauthorized(detail: string, error?: 'invalid_token' | 'invalid_request'): HttpProblem {
  const challenge = error
    ? `${CHALLENGE}, error="${error}", error_description="${detail.replace(/"/g, "'")}"`
    : CHALLENGE;
  return new HttpProblem({
    ...problem(401, 'unauthorized', 'Authentication required', detail).problem,
    headers: { 'WWW-Authenticate': challenge },
  });
}

/**
 * Authenticates every API call with `Authorization: Bearer <token>` and
 * checks its role; 401 and 403 are problems, raised before any route runs,
 * so nothing is appended. A browser's EventSource cannot send headers, so
 * the change stream also takes `?ticket=`, a short-lived signed ticket that
 * POST /changes/stream/tickets hands to an authenticated caller: the ticket
 * opens streams only, and the request log shows it redacted.
 */
export function authorization(options: AuthOptions): { authenticate: RequestHandler; tickets: Router } {
  const ticketKey = options.ticketKey ?? randomBytes(32);
  const ttlMs = options.ticketTtlMs ?? 10 * 60_000;

  const authenticate: RequestHandler = (req, _res, next) => {
    if (req.method === 'OPTIONS') return next(); // preflights carry no credentials
    void identify(req)
      .then((principal) => {
        const needed = requiredRole(req.method, req.path);
        if (!hasRole(principal, needed)) {
          throw problem(
            403,
            'forbidden',
            'Not allowed',
            `${principal.name} has the roles ${principal.roles.join(', ') || '(none)'}; ${req.method} ${req.path} needs ${needed}`,
          );
        }
        principals.set(req, principal);
        next();
      })
      .catch(next);
  };

  async function identify(req: Request): Promise<Principal> {
    const header = req.headers.authorization;
    const ticket = req.path === '/changes/stream' && req.method === 'GET' ? req.query['ticket'] : undefined;
    if (header === undefined) {
      if (typeof ticket === 'string') return openTicket(ticket);
      throw unauthorized('send Authorization: Bearer <token> (the Trust section of the README says how to get one)');
    }
    const match = /^Bearer +([\x21-\x7e]{1,4096})$/i.exec(header);
    if (!match) throw unauthorized('the Authorization header must be "Bearer <token>"', 'invalid_request');
    const token = match[1]!;
    for (const authenticator of options.authenticators) {
      let principal: Principal | undefined;
      try {
        principal = await authenticator.authenticate(token);
      } catch (error) {
        if (error instanceof InvalidTokenError) throw unauthorized(error.message, 'invalid_token');
        throw error;
      }
      if (principal) return principal;
    }
    throw unauthorized('the token is not known (revoked, mistyped, or for another service)', 'invalid_token');
  }

  function openTicket(ticket: string): Principal {
    const [payload, signature] = ticket.split('.');
    if (payload && signature) {
      const expected = createHmac('sha256', ticketKey).update(payload).digest();
      const given = Buffer.from(signature, 'base64url');
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
          sub: string;
          roles: Role[];
          exp: number;
        };
        if (claims.exp < Date.now()) {
          throw unauthorized(
            'the stream ticket has expired; ask POST /api/v1/changes/stream/tickets for a new one',
            'invalid_token',
          );
        }
        return { name: claims.sub, roles: claims.roles.filter((role) => (ROLES as readonly string[]).includes(role)) };
      }
    }
    throw unauthorized(
      'the stream ticket is not valid; ask POST /api/v1/changes/stream/tickets for one',
      'invalid_token',
    );
  }

  const tickets = Router();
  tickets.post('/changes/stream/tickets', (req, res) => {
    const principal = principalOf(req)!;
    const expiresAt = Date.now() + ttlMs;
    const payload = Buffer.from(
      JSON.stringify({ sub: principal.name, roles: principal.roles, exp: expiresAt }),
    ).toString('base64url');
    const ticket = `${payload}.${createHmac('sha256', ticketKey).update(payload).digest('base64url')}`;
    res.status(201).json({
      ticket,
      expiresAt: new Date(expiresAt).toISOString(),
      url: `${req.baseUrl}/changes/stream?ticket=${ticket}`,
    });
  });
  return { authenticate, tickets };
}

/** The URL as logged: a stream ticket is a credential. */
export function redactTicket(url: string): string {
  return url.replace(/([?&]ticket=)[^&]*/g, '$1[redacted]');
}
