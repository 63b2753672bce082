import { ciStreamName } from '../domain';
import type { EventStore, StreamHead } from '../ports/event-store';
import type { ViewProgress } from '../ports/view-store';
import { PositionBeyondLogError, ViewsBehindError } from './errors';

export interface ViewsWaitDeps {
  readonly eventStore: EventStore;
  readonly progress: ViewProgress;
  /** How long a read waits for the views to reach a write (read-your-writes, ?minPosition). */
  readonly readWaitMs: number;
}

/**
 * Read-your-writes for every query of the views: a read about one CI first
 * looks up the CI's latest position in the log (one indexed read) and waits
 * until the views have applied it, so a read that follows a write always
 * reflects it; a client's `?minPosition=` waits for that position.
 */
export class ViewsWait {
  constructor(private readonly deps: ViewsWaitDeps) {}

  /** Undefined for an unknown CI; otherwise waits until the views hold its latest event and returns its head. */
  async forCi(ciId: string): Promise<StreamHead | undefined> {
    const head = await this.deps.eventStore.streamHead(ciStreamName(ciId));
    if (!head) return undefined;
    await this.forPosition(head.position);
    return head;
  }

  /** A client's `?minPosition=`: refused at once when the log has not reached it (no write returned it). */
  async forMinPosition(position: number | undefined): Promise<void> {
    if (position === undefined || this.deps.progress.currentPosition() >= position) return;
    const head = await this.deps.eventStore.headPosition();
    if (position > head) throw new PositionBeyondLogError(position, head);
    await this.forPosition(position);
  }

  async forPosition(position: number): Promise<void> {
    const { progress, readWaitMs } = this.deps;
    if (progress.currentPosition() >= position) return;
    if (!(await progress.waitForPosition(position, readWaitMs))) {
      throw new ViewsBehindError(position, progress.currentPosition());
    }
  }
}
