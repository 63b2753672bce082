import fc from 'fast-check';
import { applyPatch } from 'rfc6902';
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

  it('arrays too different for the bound are diffed element by element, and the patch still applies', () => {
    const before = packages(3_000);
    const after = [...packages(3_500)].reverse();
    const patch = diffDocuments(server(before), server(after));
    // Element i against element i: one replacement per position, then the 500 more appended.
    expect(patch).toHaveLength(3_500);
    expect(patch.filter((operation) => operation.op === 'add')).toHaveLength(500);
    expect(applyDocumentPatch(server(before), patch)).toEqual(server(after));
    const shrunk = before.slice(0, 1_000).reverse();
    const shrinking = diffDocuments(server(before), server(shrunk));
    expect(shrinking.filter((operation) => operation.op === 'remove')).toHaveLength(2_000);
    const document = structuredClone(server(before));
    expect(applyPatch(document, shrinking).every((failure) => failure === null)).toBe(true);
    expect(document).toEqual(server(shrunk));
  });
});
