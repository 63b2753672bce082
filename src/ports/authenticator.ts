/**
 * Who is calling, and what they may do. Roles nest: `writer` and `auditor`
 * can do what a `reader` can; `admin` can do everything.
 */
export const ROLES = ['reader', 'writer', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** Recorded as the actor of every change the principal makes. */
  readonly name: string;
  readonly roles: readonly Role[];
}

export function hasRole(principal: Principal, needed: Role): boolean {
  const { roles } = principal;
  if (roles.includes('admin') || roles.includes(needed)) return true;
  return needed === 'reader' && (roles.includes('writer') || roles.includes('auditor'));
}

/**
 * Checks a bearer token. Resolves with the principal, or undefined when this
 * authenticator does not know the token; rejects with InvalidTokenError when
 * it recognises the token as its kind but it does not verify (expired, bad
 * signature, wrong audience), so the 401 can say why.
 */
export interface Authenticator {
  authenticate(token: string): Promise<Principal | undefined>;
}

export class InvalidTokenError extends Error {}
