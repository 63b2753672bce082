import type { CiState } from '../domain';

export interface CachedCi {
  readonly state: CiState;
  /** The log position of the CI's latest event. */
  readonly position: number;
}

/**
 * The folded state of recently written CIs, so a write need not re-read and
 * re-fold the CI's whole stream. Only ever trusted after checking the stream
 * head's revision (another process may have written), and bounded: the least
 * recently used entry goes first.
 */
export class CiStateCache {
  private readonly entries = new Map<string, CachedCi>();

  constructor(private readonly maxEntries: number) {}

  /** The cached state if it is exactly at `revision`. */
  getAt(ciId: string, revision: number): CachedCi | undefined {
    const entry = this.entries.get(ciId);
    if (!entry || entry.state.revision !== revision) return undefined;
    // Re-inserting moves the entry to the most recently used end of the Map's order.
    this.entries.delete(ciId);
    this.entries.set(ciId, entry);
    return entry;
  }

  set(ciId: string, entry: CachedCi): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(ciId);
    this.entries.set(ciId, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(ciId: string): void {
    this.entries.delete(ciId);
  }

  get size(): number {
    return this.entries.size;
  }
}
