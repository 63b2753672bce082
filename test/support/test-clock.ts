import type { Clock } from '../../src/ports/clock';

/** A clock tests move by hand, including backwards. */
export class TestClock implements Clock {
  private current: number;

  constructor(start: string | number = '2026-01-01T00:00:00.000Z') {
    this.current = typeof start === 'number' ? start : Date.parse(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(instant: string | number): void {
    this.current = typeof instant === 'number' ? instant : Date.parse(instant);
  }
}
