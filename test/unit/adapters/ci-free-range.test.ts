import { CiFreeRange } from '../../../src/adapters/event-store/ci-free-range';

describe('CiFreeRange', () => {
  it('skips a stretch known to hold no CI event, only for reads starting inside it', () => {
    const range = new CiFreeRange();
    expect(range.skip(100)).toBe(100);
    range.record(100, 500);
    expect(range.skip(100)).toBe(500);
    expect(range.skip(300)).toBe(500);
    expect(range.skip(500)).toBe(500);
    expect(range.skip(99)).toBe(99);
    expect(range.skip(501)).toBe(501);
  });

  it('extends the stretch when a later scan continues it, and moves on to a newer one', () => {
    const range = new CiFreeRange();
    range.record(100, 500);
    range.record(500, 900);
    expect(range.skip(100)).toBe(900);
    range.record(1000, 1200);
    expect(range.skip(1000)).toBe(1200);
    expect(range.skip(100)).toBe(100);
  });

  it('ignores empty stretches and does not forget a newer stretch for an older one', () => {
    const range = new CiFreeRange();
    range.record(100, 100);
    expect(range.skip(100)).toBe(100);
    range.record(1000, 1200);
    range.record(10, 50);
    expect(range.skip(1000)).toBe(1200);
  });
});
