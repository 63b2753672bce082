/**
 * Remembers the newest stretch of the global log known to hold no CI event,
 * so that readers polling at the tail of a log whose newest entries are
 * other streams' events (EventStoreDB writes statistics and system events
 * there) skip that stretch instead of scanning it on every poll. Positions
 * only grow, so a stretch found empty stays empty.
 */
export class CiFreeRange {
  private from = -1;
  private to = -1;

  /** Records that no CI event lies in (from, to]. */
  record(from: number, to: number): void {
    if (to <= from) return;
    if (from <= this.to && from >= this.from) {
      this.to = Math.max(this.to, to);
    } else if (to > this.to) {
      this.from = from;
      this.to = to;
    }
  }

  /** Where a read after `after` can start: past the empty stretch when `after` falls inside it. */
  skip(after: number): number {
    return after >= this.from && after < this.to ? this.to : after;
  }
}
