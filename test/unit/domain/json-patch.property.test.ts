import fc from 'fast-check';
import { applyDocumentPatch, diffDocuments } from '../../../src/domain';
import { ciDocumentArb } from '../../support/arbitraries';

describe('diffDocuments / applyDocumentPatch', () => {
  it('apply(diff(a, b), a) = b for any two CI documents', () => {
    fc.assert(
      fc.property(ciDocumentArb, ciDocumentArb, (a, b) => {
        expect(applyDocumentPatch(a, diffDocuments(a, b))).toEqual(b);
      }),
      { numRuns: 500 },
    );
  });

  it('diff(a, a) is empty, so an unchanged document appends nothing', () => {
    fc.assert(
      fc.property(ciDocumentArb, (a) => {
        expect(diffDocuments(a, structuredClone(a))).toEqual([]);
      }),
    );
  });

  it('applying never mutates the input document', () => {
    fc.assert(
      fc.property(ciDocumentArb, ciDocumentArb, (a, b) => {
        const before = structuredClone(a);
        applyDocumentPatch(a, diffDocuments(a, b));
        expect(a).toEqual(before);
      }),
    );
  });
});
