import { CiStateCache } from '../../src/application/ci-state-cache';
import { initialCiState } from '../../src/domain';

const at = (revision: number) => ({
  state: { ...initialCiState, revision },
  position: revision * 10,
  snapshotRevision: 0,
});

describe('CiStateCache', () => {
  it('answers only for the exact revision asked', () => {
    const cache = new CiStateCache(10);
    cache.set('a', at(3));
    expect(cache.getAt('a', 3)).toEqual(at(3));
    expect(cache.getAt('a', 4)).toBeUndefined();
    expect(cache.getAt('b', 3)).toBeUndefined();
  });

  it('evicts the least recently used entry beyond its size', () => {
    const cache = new CiStateCache(2);
    cache.set('a', at(1));
    cache.set('b', at(1));
    cache.getAt('a', 1); // a is now the most recently used
    cache.set('c', at(1));
    expect(cache.size).toBe(2);
    expect(cache.getAt('b', 1)).toBeUndefined();
    expect(cache.getAt('a', 1)).toBeDefined();
    expect(cache.getAt('c', 1)).toBeDefined();
  });

  it('holds nothing when its size is 0, and forgets on delete', () => {
    const off = new CiStateCache(0);
    off.set('a', at(1));
    expect(off.getAt('a', 1)).toBeUndefined();
    const cache = new CiStateCache(5);
    cache.set('a', at(1));
    cache.delete('a');
    expect(cache.getAt('a', 1)).toBeUndefined();
  });
});
