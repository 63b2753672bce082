import { BehaviorSubject } from 'rxjs';
import { waitForPosition } from '../../../src/runtime/wait-for-position';

describe('waitForPosition', () => {
  it('is true at once for a position already reached, and when a later one is', async () => {
    const position$ = new BehaviorSubject(5);
    expect(await waitForPosition(position$, 5, 60_000)).toBe(true);
    const later = waitForPosition(position$, 7, 60_000);
    position$.next(6);
    position$.next(7);
    expect(await later).toBe(true);
    expect(position$.observed).toBe(false);
  });

  it('is false after the timeout', async () => {
    const position$ = new BehaviorSubject(0);
    expect(await waitForPosition(position$, 1, 10)).toBe(false);
    expect(position$.observed).toBe(false);
  });

  it('is false as soon as its signal aborts, and lets go of the position and its timer', async () => {
    jest.useFakeTimers();
    try {
      const position$ = new BehaviorSubject(0);
      const gone = new AbortController();
      const waiting = waitForPosition(position$, 1, 600_000, gone.signal);
      expect(position$.observed).toBe(true);
      expect(jest.getTimerCount()).toBe(1);
      gone.abort();
      expect(await waiting).toBe(false);
      expect(position$.observed).toBe(false);
      expect(jest.getTimerCount()).toBe(0);
      // Aborted before it starts: no wait at all.
      expect(await waitForPosition(position$, 1, 600_000, gone.signal)).toBe(false);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
