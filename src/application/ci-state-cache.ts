import { LRUCache } from 'lru-cache';
import type { CiState } from '../domain';

export interface CachedCi {
  readonly state: CiState;
  /** The log position of the CI's latest event. */
  readonly position: number;
  /** The revision of the CI's latest snapshot this writer knows of (0: none). */
  readonly snapshotRevision: number;
}

/**
 * The folded state of recently written CIs, so a write need not re-read and
 * re-fold the CI's whole stream. Another process may have written since: a
 * write that appends is checked by the append's expected revision, anything
 * else by the stream head's revision (CiCommandHandler). Bounded: the least
 * recently used entry goes first.
 */
export class CiStateCache {
  private readonly entries: LRUCache<string, CachedCi> | undefined;

  constructor(maxEntries: number) {
    this.entries = maxEntries > 0 ? new LRUCache({ max: maxEntries }) : undefined;
  }

  /** The cached state, whatever the stream's head now is. */
  get(ciId: string): CachedCi | undefined {
    return this.entries?.get(ciId);
  }

  /** The cached state if it is exactly at `revision`. */
  getAt(ciId: string, revision: number): CachedCi | undefined {
    const entry = this.entries?.get(ciId);
    return entry && entry.state.revision === revision ? entry : undefined;
  }

  set(ciId: string, entry: CachedCi): void {
    this.entries?.set(ciId, entry);
  }

  delete(ciId: string): void {
    this.entries?.delete(ciId);
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }
}
