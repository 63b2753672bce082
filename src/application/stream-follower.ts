import type { EventStore, RecordedEvent } from '../ports/event-store';

/**
 * Keeps an in-memory fold of one stream up to date: `refresh()` reads what
 * was appended since the last look (a single stream-head lookup when nothing
 * was), so a change made through another instance shows at once. Concurrent
 * callers share one read.
 */
export class StreamFollower {
  private seen = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly store: EventStore,
    readonly stream: string,
    private readonly apply: (event: RecordedEvent) => void,
  ) {}

  /** The stream's revision the fold has reached (0: nothing yet): what an append expects. */
  get revision(): number {
    return this.seen;
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.readNew().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async readNew(): Promise<void> {
    const head = await this.store.streamHead(this.stream);
    if (!head || head.revision <= this.seen) return;
    for (const event of await this.store.readStream(this.stream, { fromRevision: this.seen + 1 })) {
      this.apply(event);
      this.seen = event.revision;
    }
  }
}
