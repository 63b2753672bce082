import type { EventStore, ReadStreamOptions } from '../../src/ports/event-store';

/**
 * The event store, recording the revision each read of a stream started from
 * (1: its start) in `reads`, and the options each read was given in `ranges`.
 */
export function recordingStreamReads(eventStore: EventStore): {
  store: EventStore;
  reads: number[];
  ranges: ReadStreamOptions[];
} {
  const reads: number[] = [];
  const ranges: ReadStreamOptions[] = [];
  const store = Object.create(eventStore) as EventStore;
  store.readStream = async (name, options) => {
    reads.push(options?.fromRevision ?? 1);
    ranges.push({ ...options });
    return eventStore.readStream(name, options);
  };
  return { store, reads, ranges };
}
