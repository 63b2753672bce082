import { filter, firstValueFrom, fromEvent, map, race, take, timer, type BehaviorSubject } from 'rxjs';

/**
 * Resolves true once `position$` reaches `position`, false after `timeoutMs`,
 * or false at once when `signal` aborts: a waiter that has gone (a change
 * stream's client left) must not keep its timer and subscription alive
 * until the timeout.
 */
export async function waitForPosition(
  position$: BehaviorSubject<number>,
  position: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  if (position$.value >= position) return true;
  if (signal?.aborted) return false;
  const waits = [
    position$.pipe(
      filter((reached) => reached >= position),
      map(() => true),
    ),
    timer(timeoutMs).pipe(map(() => false)),
  ];
  if (signal)
    waits.push(
      fromEvent(signal, 'abort').pipe(
        take(1),
        map(() => false),
      ),
    );
  return firstValueFrom(race(waits));
}
