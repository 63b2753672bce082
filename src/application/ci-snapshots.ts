import { ciStreamName, type CiDocument, type CiState } from '../domain';
import type { EventStore, StreamSnapshot } from '../ports/event-store';

/**
 * How many events a writer folds past a CI's last snapshot before it saves
 * a new one. A write whose CI is not cached reads the snapshot and at most
 * about this many events, however long the CI's history: folded whole, a CI
 * of 10,000 revisions held the event loop for about 400 ms per such write;
 * from its snapshot the write took 2.3 to 2.5 ms at p50, its commit included
 * (`npm run bench -- --quick --only=curve`, deep histories; docs/performance.md).
 */
export const SNAPSHOT_EVERY = 100;

/** The shape of a CI's snapshot; one saved in another shape is not used (and is replaced by the next). */
const SNAPSHOT_VERSION = 1;

interface CiSnapshotState {
  readonly version: typeof SNAPSHOT_VERSION;
  readonly recordedAt: string;
  readonly document: CiDocument;
}

export function snapshotOfCi(state: CiState): StreamSnapshot {
  const saved: CiSnapshotState = {
    version: SNAPSHOT_VERSION,
    recordedAt: state.recordedAt!,
    document: state.document!,
  };
  return { revision: state.revision, state: saved };
}

/**
 * The state of the CI's snapshot where there is one, of this version, at or
 * before revision `notAfter` (one past a stream's head is not that stream's).
 */
export async function readCiSnapshot(
  eventStore: EventStore,
  ciId: string,
  notAfter: number,
): Promise<CiState | undefined> {
  const snapshot = await eventStore.readSnapshot?.(ciStreamName(ciId));
  return snapshot && snapshot.revision <= notAfter ? ciStateOfSnapshot(snapshot) : undefined;
}

/** The state a snapshot holds, or undefined where it is of another version or not a CI's (then the stream is read whole). */
export function ciStateOfSnapshot(snapshot: StreamSnapshot): CiState | undefined {
  const saved = snapshot.state as Partial<CiSnapshotState> | null;
  if (
    snapshot.revision < 1 ||
    typeof saved !== 'object' ||
    saved === null ||
    saved.version !== SNAPSHOT_VERSION ||
    typeof saved.recordedAt !== 'string' ||
    typeof saved.document !== 'object' ||
    saved.document === null
  ) {
    return undefined;
  }
  return { revision: snapshot.revision, recordedAt: saved.recordedAt, document: saved.document };
}
