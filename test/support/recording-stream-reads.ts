import type { EventStore } from '../../src/ports/event-store';

/** The event store, recording the revision each read of a stream started from (1: its start). */
export function recordingStreamReads(eventStore: EventStore): { store: EventStore; reads: number[] } {
  const reads: number[] = [];
  const store = Object.create(eventStore) as EventStore;
  store.readStream = async (name, options) => {
    reads.push(options?.fromRevision ?? 1);
    return eventStore.readStream(name, options);
  };
  return { store, reads };
}
