/**
 * A counting semaphore for change-stream replays: at most `size` streams read
 * history at once, the rest wait their turn (first come, first served).
 * `peak` records the most ever held at once, for tests and operators.
 */
export class ReplaySlots {
  private held = 0;
  private peakHeld = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {}

  get inUse(): number {
    return this.held;
  }

  get queued(): number {
    return this.waiting.length;
  }

  get peak(): number {
    return this.peakHeld;
  }

  /** Resolves with a release function once a slot is free; `cancelled` withdraws the wait (client gone). */
  acquire(cancelled: Promise<unknown>): Promise<(() => void) | undefined> {
    if (this.held < this.size) return Promise.resolve(this.take());
    return new Promise((resolve) => {
      const grant = () => resolve(this.take());
      this.waiting.push(grant);
      void cancelled.then(() => {
        const index = this.waiting.indexOf(grant);
        if (index >= 0) {
          this.waiting.splice(index, 1);
          resolve(undefined);
        }
      });
    });
  }

  private take(): () => void {
    this.held += 1;
    this.peakHeld = Math.max(this.peakHeld, this.held);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held -= 1;
      this.waiting.shift()?.();
    };
  }
}
