import type { ChangeMetadata } from '../domain';
import type { EventStore } from '../ports/event-store';

/**
 * A long list kept in the catalogue log as a stream of chunk events, written
 * as it grows (so whoever builds it holds one chunk at a time) and read back
 * in order. Each chunk is appended on its own, well below the 1 MiB
 * EventStoreDB takes per append.
 */
export class ChunkWriter<T> {
  private pending: T[] = [];
  private written = 0;
  private items = 0;

  constructor(
    private readonly store: EventStore,
    readonly stream: string,
    private readonly eventType: string,
    private readonly chunkSize: number,
    private readonly event: {
      readonly newEventId: () => string;
      readonly metadata: ChangeMetadata;
      readonly recordedAt: () => string;
    },
  ) {}

  async add(item: T): Promise<void> {
    this.pending.push(item);
    this.items++;
    if (this.pending.length >= this.chunkSize) await this.flush();
  }

  /** Writes what is pending; returns how many chunks and items the stream holds. */
  async flush(): Promise<{ chunks: number; items: number }> {
    if (this.pending.length > 0) {
      const items = this.pending;
      this.pending = [];
      await this.store.append(
        this.stream,
        [
          {
            id: this.event.newEventId(),
            type: this.eventType,
            data: { chunk: this.written, items },
            metadata: this.event.metadata,
            recordedAt: this.event.recordedAt(),
          },
        ],
        this.written === 0 ? 'no_stream' : this.written,
      );
      this.written++;
    }
    return { chunks: this.written, items: this.items };
  }
}

/** Items `from` (0-based) on, at most `limit`, of a stream ChunkWriter wrote with `chunks` chunks of `chunkSize`. */
export async function readChunkedItems<T>(
  store: EventStore,
  stream: string,
  chunkSize: number,
  from: number,
  limit: number,
): Promise<T[]> {
  const firstChunk = Math.floor(from / chunkSize);
  const lastChunk = Math.floor((from + limit - 1) / chunkSize);
  const events = await store.readStream(stream, { fromRevision: firstChunk + 1, toRevision: lastChunk + 1 });
  const items = events.flatMap((event) => (event.data as { items: T[] }).items);
  const skip = from - firstChunk * chunkSize;
  return items.slice(skip, skip + limit);
}
