import { ciStreamName, foldCi, type CiDocument, type CiState, type RecordedCiEvent } from '../domain';
import type { EventStore, StreamSnapshot } from '../ports/event-store';
import type { HistoryPoint } from './history-point';

/**
 * How many events a writer folds past a CI's last snapshot before it saves
 * a new one. A write whose CI is not cached reads the snapshot and at most
 * about this many events, however long the CI's history: folded whole, a CI
 * of 10,000 revisions held the event loop for about 400 ms per such write;
 * from its snapshot the write took 2.3 to 2.5 ms at p50, its commit included
 * (`npm run bench -- --quick --only=curve`, deep histories; docs/performance.md).
 */
export const SNAPSHOT_EVERY = 100;

/**
 * Revisions between the snapshots a writer keeps for good (milestones, one
 * snapshot's bytes each) besides the latest: a restore folds the document at
 * its point from the newest snapshot not past it, so from at most about this
 * many events plus SNAPSHOT_EVERY back, where it folded from revision 1
 * whenever its point lay before the CI's latest snapshot.
 */
export const MILESTONE_EVERY = 1_000;

/** Whether a snapshot at `revision`, the CI's previous one being at `previous` (0: none), is a milestone. */
export function isMilestone(revision: number, previous: number): boolean {
  return Math.floor(revision / MILESTONE_EVERY) > Math.floor(previous / MILESTONE_EVERY);
}

/**
 * `events` folded onto `base` (the CI's start where absent), and the states
 * on the way at each multiple of MILESTONE_EVERY before the last event: the
 * milestones its writer would have kept, for a CI folded whole or over a
 * stretch that has none (a log written before them, or without snapshots).
 * `events` are the revisions right after the base's, in order.
 */
export function foldWithMilestones(
  events: readonly RecordedCiEvent[],
  base?: CiState,
): { state: CiState; milestones: CiState[] } {
  const milestones: CiState[] = [];
  let state = base ?? foldCi([]);
  const first = state.revision; // events[i] is revision first + i + 1
  let folded = 0;
  for (
    let at = (Math.floor(first / MILESTONE_EVERY) + 1) * MILESTONE_EVERY;
    at - first < events.length;
    at += MILESTONE_EVERY
  ) {
    state = foldCi(events.slice(folded, at - first), state);
    milestones.push(state);
    folded = at - first;
  }
  return { state: foldCi(events.slice(folded), state), milestones };
}

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
 * The state of the CI's newest usable snapshot (of this version) at or
 * before revision `notAfter` that `reached` takes: its latest or, where the
 * store keeps them, a milestone; undefined if none. One past a stream's
 * head is not that stream's.
 */
export async function readCiSnapshot(
  eventStore: EventStore,
  ciId: string,
  notAfter: number,
  reached: (state: CiState) => boolean = () => true,
): Promise<CiState | undefined> {
  const stream = ciStreamName(ciId);
  const usable = (snapshot: StreamSnapshot) => {
    const state = ciStateOfSnapshot(snapshot);
    return state !== undefined && reached(state);
  };
  const found = eventStore.findSnapshot
    ? await eventStore.findSnapshot(stream, notAfter, usable)
    : await eventStore.readSnapshot?.(stream);
  return found && found.revision <= notAfter && usable(found) ? ciStateOfSnapshot(found) : undefined;
}

/**
 * The base of a fold up to `point` (a restore): the newest usable snapshot
 * of the CI not past the point, the CI's newest state being `head`.
 */
export async function readCiSnapshotAt(
  eventStore: EventStore,
  ciId: string,
  point: HistoryPoint,
  head: CiState,
): Promise<CiState | undefined> {
  if ('revision' in point) return readCiSnapshot(eventStore, ciId, point.revision);
  // Recorded time never goes backwards within a CI: the newest snapshot recorded by the instant is the one.
  return readCiSnapshot(eventStore, ciId, head.revision, (state) => Date.parse(state.recordedAt!) <= point.asOf);
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
