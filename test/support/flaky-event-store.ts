import { SqliteEventStore } from '../../src/adapters/event-store/sqlite-event-store';
import { StoreUnavailableError, type ExpectedRevision, type NewEvent } from '../../src/ports/event-store';

/**
 * An in-memory log whose appends fail as an unreachable store's do: once
 * `failAfter` more appends have succeeded, the next `failTimes` fail (all of
 * them by default), counting only appends to `stream` when it is set.
 */
export class FlakyEventStore extends SqliteEventStore {
  failAfter: number | undefined;
  failTimes = Number.POSITIVE_INFINITY;
  stream: string | undefined;

  constructor() {
    super({ filename: ':memory:' });
  }

  override async append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision) {
    if (this.failAfter !== undefined && (this.stream === undefined || this.stream === stream)) {
      if (this.failAfter-- <= 0 && this.failTimes-- > 0)
        throw new StoreUnavailableError('the event log is unreachable');
    }
    return super.append(stream, events, expected);
  }
}
