import fc from 'fast-check';
import type { ArrayDelta, Delta } from 'jsondiffpatch';
import { longArrayDelta } from '../../../console/src/long-array-delta';

/** jsondiffpatch's item delta, simplified: none when equal, else [before, after]. */
const diffItem = (before: unknown, after: unknown): Delta =>
  JSON.stringify(before) === JSON.stringify(after) ? undefined : [before, after];

/** jsondiffpatch's array patch, in its order: removals (old indices), then insertions and changes (new indices). */
function applyArrayDelta(left: readonly unknown[], delta: ArrayDelta): unknown[] {
  const result = [...left];
  const entries = Object.entries(delta as unknown as Record<string, unknown[]>).filter(([key]) => key !== '_t');
  const removed = entries.filter(([key]) => key.startsWith('_')).map(([key]) => Number(key.slice(1)));
  for (const index of removed.sort((a, b) => b - a)) result.splice(index, 1);
  const atNew = entries.filter(([key]) => !key.startsWith('_')).map(([key, value]) => [Number(key), value] as const);
  atNew.sort(([a], [b]) => a - b);
  for (const [index, value] of atNew) if (value.length === 1) result.splice(index, 0, value[0]);
  for (const [index, value] of atNew) if (value.length === 2) result[index] = value[1];
  return result;
}

const packages = (count: number) => Array.from({ length: count }, (_, i) => `pkg-${i}-1.0`);

describe("the console's diff of long arrays", () => {
  it('patching with the delta gives the right array, for arrays that share runs', () => {
    const elementArb = fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.record({ name: fc.constantFrom('x', 'y') }));
    const arrayArb = fc.array(elementArb, { maxLength: 40 });
    fc.assert(
      fc.property(arrayArb, arrayArb, (left, right) => {
        const delta = longArrayDelta(left, right, diffItem);
        if (delta === undefined) expect(right).toEqual(left);
        else expect(applyArrayDelta(left, delta)).toEqual(right);
      }),
      { numRuns: 1_000 },
    );
  });

  it('a new version of 30 of 3,000 packages shows as those 30 changed, at their places', () => {
    const before = packages(3_000);
    const after = before.map((name, i) => (i % 100 === 7 ? `${name}.1` : name));
    const changed = Array.from({ length: 30 }, (_, k) => k * 100 + 7);
    expect(longArrayDelta(before, after, diffItem)).toEqual({
      _t: 'a',
      ...Object.fromEntries(changed.map((i) => [String(i), [before[i], after[i]]])),
    });
  });

  it('one package inserted or removed among 3,000 is one entry; equal arrays none', () => {
    const before = packages(3_000);
    const inserted = [...before.slice(0, 1_500), 'new-pkg', ...before.slice(1_500)];
    expect(longArrayDelta(before, inserted, diffItem)).toEqual({ _t: 'a', 1500: ['new-pkg'] });
    const removed = before.filter((_, i) => i !== 42);
    expect(longArrayDelta(before, removed, diffItem)).toEqual({ _t: 'a', _42: [before[42], 0, 0] });
    expect(longArrayDelta(before, [...before], diffItem)).toBeUndefined();
  });

  it('arrays too different for the bound are compared place by place, and the delta still applies', () => {
    const before = packages(3_000);
    const after = packages(3_500).reverse();
    const delta = longArrayDelta(before, after, diffItem)!;
    const entries = Object.entries(delta).filter(([key]) => key !== '_t');
    expect(entries.filter(([, value]) => (value as unknown[]).length === 2)).toHaveLength(3_000);
    expect(entries.filter(([, value]) => (value as unknown[]).length === 1)).toHaveLength(500);
    expect(applyArrayDelta(before, delta)).toEqual(after);
  });
});
