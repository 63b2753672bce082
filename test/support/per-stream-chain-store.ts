import { Subject } from 'rxjs';
import { link } from '../../src/ports/event-chain';
import {
  ConcurrencyError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamHead,
} from '../../src/ports/event-store';

/**
 * An in-memory event store that chains per stream, as EventStoreDB does, and
 * like it lists only CI streams in readAll: for testing what a per-stream
 * chain needs (checkpoints of all heads) without a server. `events` is open
 * so tests can tamper with it.
 */
export class PerStreamChainStore implements EventStore {
  readonly adapter = 'memory-per-stream';
  readonly chainScope = 'per-stream';
  readonly events: RecordedEvent[] = [];
  private readonly appended = new Subject<number>();
  readonly appended$ = this.appended.asObservable();
  private nextPosition = 1;

  writeStatus() {
    return { writable: true } as const;
  }

  async append(streamName: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const stream = this.events.filter((event) => event.streamName === streamName);
    const actual = stream.length;
    if (expected !== 'any' && (expected === 'no_stream' ? actual !== 0 : expected !== actual)) {
      throw new ConcurrencyError(streamName, expected, actual);
    }
    let prev = stream.at(-1)?.chain?.hash ?? '0'.repeat(64);
    for (const [index, event] of events.entries()) {
      const recorded = { ...event, streamName, revision: actual + index + 1, position: this.nextPosition++ };
      const chain = link(prev, recorded);
      this.events.push({ ...recorded, chain });
      prev = chain.hash;
    }
    this.appended.next(this.nextPosition - 1);
    return { revision: actual + events.length, position: this.nextPosition - 1 };
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.events.filter(
      (event) =>
        event.streamName === streamName &&
        event.revision >= (options.fromRevision ?? 1) &&
        event.revision <= (options.toRevision ?? Infinity) &&
        Date.parse(event.recordedAt) <= (options.toRecordedAt ?? Infinity),
    );
  }

  async streamHead(streamName: string): Promise<StreamHead | undefined> {
    const last = (await this.readStream(streamName)).at(-1);
    return last && { revision: last.revision, position: last.position };
  }

  async readAll(after: number, limit: number): Promise<RecordedEvent[]> {
    return this.events.filter((event) => event.streamName.startsWith('ci-') && event.position > after).slice(0, limit);
  }

  async headPosition(): Promise<number> {
    return this.events.filter((event) => event.streamName.startsWith('ci-')).at(-1)?.position ?? 0;
  }

  async countAfter(position: number, cap: number): Promise<number> {
    return Math.min(cap, (await this.readAll(position, cap)).length);
  }

  async close(): Promise<void> {
    this.appended.complete();
  }
}
