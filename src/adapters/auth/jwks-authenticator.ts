import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { InvalidTokenError, ROLES, type Authenticator, type Principal, type Role } from '../../ports/authenticator';

export interface JwksOptions {
  readonly jwksUrl: string;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  /** The claim that holds the roles (a dotted path such as `realm_access.roles`); default `roles`. */
  readonly rolesClaim: string;
}

/**
 * JWTs (OIDC access tokens) verified against the issuer's JWKS, fetched and
 * cached by jose (re-fetched when a token names an unknown key). The
 * principal is the `sub` claim; roles are read from the configured claim.
 * Tokens that are not JWTs are left to the other authenticators.
 */
export class JwksAuthenticator implements Authenticator {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly options: JwksOptions) {
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 5000 });
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) return undefined;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        ...(this.options.issuer && { issuer: this.options.issuer }),
        ...(this.options.audience && { audience: this.options.audience }),
      }));
    } catch (error) {
      throw new InvalidTokenError(describeJoseError(error));
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      throw new InvalidTokenError('the token has no subject (sub claim)');
    }
    return { name: payload.sub, roles: rolesFrom(claimAt(payload, this.options.rolesClaim)) };
  }
}

function claimAt(payload: JWTPayload, dottedPath: string): unknown {
  return dottedPath
    .split('.')
    .reduce<unknown>(
      (value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined),
      payload,
    );
}

function rolesFrom(claim: unknown): Role[] {
  const values = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : [];
  return values.filter((value): value is Role => (ROLES as readonly unknown[]).includes(value));
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not accepted`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token is signed with a key the issuer does not publish';
  if (error instanceof errors.JWKSTimeout) return 'the issuer keys (JWKS) could not be fetched in time';
  return `the token does not verify (${(error as Error).message})`;
}
