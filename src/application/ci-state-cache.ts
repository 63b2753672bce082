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
 * re-fold the CI's whole stream. Only ever trusted after checking the stream
 * head's revision (another process may have written), and bounded: the least
 * recently used entry goes first.
 */
export class CiStateCache {
  private readonly entries: LRUCache<string, CachedCi> | undefined;

  constructor(maxEntries: number) {
    this.entries = maxEntries > 0 ? new LRUCache({ max: maxEntries }) : undefined;
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
