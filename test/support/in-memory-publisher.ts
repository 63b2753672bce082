import type { Publisher, RelayItem } from '../../src/ports/publisher';

/** Records what it is given; can be told to fail the next publishes, as a broker outage would. */
export class InMemoryPublisher implements Publisher {
  readonly name = 'memory';
  readonly published: RelayItem[] = [];
  failuresToCome = 0;
  attempts = 0;
  closed = false;

  async publish(items: readonly RelayItem[]): Promise<void> {
    this.attempts += 1;
    if (this.failuresToCome > 0) {
      this.failuresToCome -= 1;
      throw new Error('broker unavailable');
    }
    this.published.push(...items);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
