/**
 * Leases with expiry, kept in a store every instance shares, so that of
 * several service instances exactly one runs each singleton role (the
 * projections, the relay) at a time, and another takes over when it dies.
 * Expiry is measured by the store's own clock where it has one (MongoDB's
 * `$$NOW`), so instances whose clocks disagree still agree on who holds it.
 */
export interface LeaseStore {
  /**
   * Takes the lease for `ttlMs`, or renews it, if it is free, expired, or
   * already `holder`'s. Resolves true when `holder` holds it now.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` holds it, so another instance can take it at once. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** Who holds the lease, expired or not; undefined when no one does. */
  leaseHolder(name: string): Promise<string | undefined>;
}
