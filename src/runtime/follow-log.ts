import {
  EMPTY,
  Subject,
  concatMap,
  defer,
  from,
  race,
  repeat,
  retry,
  take,
  takeUntil,
  timer,
  type Observable,
} from 'rxjs';
import type { Logger } from 'pino';
import type { EventStore, RecordedEvent } from '../ports/event-store';

export interface FollowLogOptions {
  /** Where to read from: called before every page, so it follows the caller's checkpoint. */
  readonly after: () => number;
  /** Handles one page; the next page is read only once it resolves (back-pressure). */
  readonly handlePage: (page: readonly RecordedEvent[]) => Promise<void>;
  /** Called each time a read finds nothing new. */
  readonly onCaughtUp?: () => void;
  /** Called before each retry after a failure. */
  readonly onRetry?: (error: Error, attempt: number, delayMs: number) => void;
  readonly batchSize: number;
  /** How often to look for new events when no append notification arrives (other writers). */
  readonly pollIntervalMs: number;
  /** First retry delay after a failure; doubles up to maxRetryDelayMs. */
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly stop$: Subject<void>;
  readonly logger: Logger;
}

/**
 * Follows the log from a checkpoint: read a page → handle it → repeat; once
 * caught up, wait for an append notification (or a poll tick). A failure is
 * retried with exponential backoff from the checkpoint, which the handler
 * advances only after its work is done, so nothing is skipped. Pages are
 * pulled, never pushed, so memory stays flat however long the log is.
 */
export function followLog(eventStore: EventStore, options: FollowLogOptions): Observable<void> {
  const waitForAppends = (): Observable<never> => {
    options.onCaughtUp?.();
    return race(eventStore.appended$, timer(options.pollIntervalMs)).pipe(
      take(1),
      concatMap(() => EMPTY),
    );
  };
  return defer(() => eventStore.readAll(options.after(), options.batchSize)).pipe(
    concatMap((page) => (page.length > 0 ? from(options.handlePage(page)) : waitForAppends())),
    repeat(),
    retry({
      resetOnSuccess: true,
      delay: (error: Error, attempt) => {
        const delayMs = Math.min(options.retryDelayMs * 2 ** (attempt - 1), options.maxRetryDelayMs);
        options.onRetry?.(error, attempt, delayMs);
        return timer(delayMs);
      },
    }),
    takeUntil(options.stop$),
  );
}
