import fc from 'fast-check';
import { createPatch } from 'rfc6902';
import { applyDocumentPatch, diffDocuments, type CiDocument, type JsonValue } from '../../../src/domain';

/** A server whose attributes hold one array: what a discovery tool sends for installed packages. */
function server(packages: JsonValue[]): CiDocument {
  return { type: 'server', name: 'srv-1', status: 'live', attributes: { packages }, relationships: [] };
}

const packages = (count: number) => Array.from({ length: count }, (_, i) => `pkg-${i}-1.0`);

/** Small elements from a small alphabet, so that two arrays share runs and Myers' algorithm has matches to find. */
const elementArb = fc.oneof(
  fc.integer({ min: 0, max: 5 }),
  fc.constantFrom('a', 'b', 'c'),
  fc.record({ name: fc.constantFrom('x', 'y'), version: fc.integer({ min: 1, max: 3 }) }),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 3 }),
);

describe('diffDocuments on arrays', () => {
  it('apply(diff(a, b), a) = b for arrays that share runs, nested arrays included', () => {
    fc.assert(
      fc.property(fc.array(elementArb, { maxLength: 40 }), fc.array(elementArb, { maxLength: 40 }), (a, b) => {
        expect(applyDocumentPatch(server(a), diffDocuments(server(a), server(b)))).toEqual(server(b));
      }),
      { numRuns: 1_000 },
    );
  });

  it('apply(diff(a, b), a) = b for a long array edited in a few places', () => {
    const editArb = fc.record({
      at: fc.nat({ max: 1_999 }),
      kind: fc.constantFrom('insert', 'remove', 'change'),
      value: fc.string({ maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(editArb, { maxLength: 12 }), (edits) => {
        const before = packages(2_000);
        const after = [...before];
        for (const { at, kind, value } of edits) {
          const index = Math.min(at, after.length);
          if (kind === 'insert') after.splice(index, 0, value);
          else if (kind === 'remove') after.splice(index, 1);
          else if (index < after.length) after[index] = `${after[index]}${value}`;
        }
        expect(applyDocumentPatch(server(before), diffDocuments(server(before), server(after)))).toEqual(server(after));
      }),
      { numRuns: 100 },
    );
  });

  it('a new version of 10 of 1,000 packages is 10 replacements at their indices', () => {
    const before = packages(1_000);
    const after = before.map((name, i) => (i % 100 === 7 ? `${name}.1` : name));
    expect(diffDocuments(server(before), server(after))).toEqual(
      Array.from({ length: 10 }, (_, k) => ({
        op: 'replace',
        path: `/attributes/packages/${k * 100 + 7}`,
        value: `pkg-${k * 100 + 7}-1.0.1`,
      })),
    );
  });

  it('one package inserted or removed in the middle of 3,000 is one operation', () => {
    const before = packages(3_000);
    const inserted = [...before.slice(0, 1_500), 'new-pkg', ...before.slice(1_500)];
    expect(diffDocuments(server(before), server(inserted))).toEqual([
      { op: 'add', path: '/attributes/packages/1500', value: 'new-pkg' },
    ]);
    const removed = before.filter((_, i) => i !== 42);
    expect(diffDocuments(server(before), server(removed))).toEqual([{ op: 'remove', path: '/attributes/packages/42' }]);
  });

  it('appends at the end with "-" and diffs a changed element in place, as rfc6902 does', () => {
    const before = [
      { name: 'openssl', version: '3.0.1' },
      { name: 'zlib', version: '1.3' },
    ];
    const after = [{ name: 'openssl', version: '3.0.2' }, before[1]!, { name: 'curl', version: '8.5' }];
    expect(diffDocuments(server(before), server(after))).toEqual([
      { op: 'replace', path: '/attributes/packages/0/version', value: '3.0.2' },
      { op: 'add', path: '/attributes/packages/-', value: { name: 'curl', version: '8.5' } },
    ]);
  });

  it('replaces an array whole when most of it changed: one operation, not one per element', () => {
    const before = packages(3_000);
    const after = packages(3_500).reverse();
    expect(diffDocuments(server(before), server(after))).toEqual([
      { op: 'replace', path: '/attributes/packages', value: after },
    ]);
    const upgraded = before.map((name) => `${name}.1`);
    expect(diffDocuments(server(before), server(upgraded))).toEqual([
      { op: 'replace', path: '/attributes/packages', value: upgraded },
    ]);
    // A short list keeps its elements' operations, as rfc6902 made them.
    expect(diffDocuments(server(['a', 'b']), server(['c', 'd']))).toEqual([
      { op: 'replace', path: '/attributes/packages/0', value: 'c' },
      { op: 'replace', path: '/attributes/packages/1', value: 'd' },
    ]);
  });

  it('compares place by place once the comparisons are spent, and the patch still applies', () => {
    // The first array spends the diff's comparisons (and is replaced whole); the second, a few
    // changes in 1,000 elements, is then compared position by position: still one operation each.
    const before: CiDocument = {
      ...server([]),
      attributes: { shuffled: packages(20_000), tags: packages(1_000) },
    };
    const tags = packages(1_000).map((name, i) => (i % 250 === 3 ? `${name}.1` : name));
    const after: CiDocument = {
      ...server([]),
      attributes: { shuffled: packages(20_000).reverse(), tags },
    };
    const patch = diffDocuments(before, after);
    expect(patch.filter((operation) => operation.path.startsWith('/attributes/tags'))).toEqual(
      [3, 253, 503, 753].map((i) => ({ op: 'replace', path: `/attributes/tags/${i}`, value: tags[i] })),
    );
    expect(applyDocumentPatch(before, patch)).toEqual(after);
  });

  it('diffs objects and scalars exactly as rfc6902 does (its order of removals, additions, then changes)', () => {
    // JSON without arrays: where rfc6902's own diff is fast, and what every existing patch was made by.
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: -2, max: 2 }), fc.boolean(), fc.constant(null)),
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'x/y', 'm~n'), tie('tree'), { maxKeys: 4 }),
      ),
    }));
    const attributesArb = fc.dictionary(fc.constantFrom('os', 'cpu', 'site', 'a/b'), tree, { maxKeys: 4 });
    fc.assert(
      fc.property(attributesArb, attributesArb, (a, b) => {
        const before = server([]);
        const after = server([]);
        Object.assign(before.attributes, a);
        Object.assign(after.attributes, b);
        expect(diffDocuments(before, after)).toEqual(createPatch(before, after));
      }),
      { numRuns: 1_000 },
    );
  });

  it('makes a patch of hundreds of thousands of operations without overflowing the stack', () => {
    // 150,000 members changed in one object: rfc6902 spread each member's operations into its
    // caller's as arguments, past the stack's limit.
    const members = (value: number) => Object.fromEntries(Array.from({ length: 150_000 }, (_, i) => [`m${i}`, value]));
    const before: CiDocument = { ...server([]), attributes: { inventory: members(1) } };
    const after: CiDocument = { ...server([]), attributes: { inventory: members(2) } };
    const patch = diffDocuments(before, after);
    expect(patch).toHaveLength(150_000);
    expect(patch[0]).toEqual({ op: 'replace', path: '/attributes/inventory/m0', value: 2 });
  });
});
