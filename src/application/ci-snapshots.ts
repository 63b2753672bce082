import type { CiDocument, CiState } from '../domain';
import type { StreamSnapshot } from '../ports/event-store';

/**
 * How many events a writer folds past a CI's last snapshot before it saves
 * a new one. A write whose CI is not cached reads the snapshot and at most
 * about this many events, however long the CI's history: folding 10,000
 * revisions took 350 to 470 ms of the event loop (in process, a CI of the
 * benches' server documents); a hundred take about 3.
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
