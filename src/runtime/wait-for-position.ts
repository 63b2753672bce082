import { filter, firstValueFrom, map, race, timer, type BehaviorSubject } from 'rxjs';

/** Resolves true once `position$` reaches `position`, false after `timeoutMs`. */
export async function waitForPosition(
  position$: BehaviorSubject<number>,
  position: number,
  timeoutMs: number,
): Promise<boolean> {
  if (position$.value >= position) return true;
  return firstValueFrom(
    race(
      position$.pipe(
        filter((reached) => reached >= position),
        map(() => true),
      ),
      timer(timeoutMs).pipe(map(() => false)),
    ),
  );
}
