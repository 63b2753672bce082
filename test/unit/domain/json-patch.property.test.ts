import fc from 'fast-check';
import { applyDocumentPatch, diffDocuments, type CiDocument } from '../../../src/domain';
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

  it('a chain of patches leaves every earlier document as it was (copy-on-write shares unchanged parts)', () => {
    fc.assert(
      fc.property(fc.array(ciDocumentArb, { minLength: 2, maxLength: 5 }), (targets) => {
        const chain: CiDocument[] = [targets[0]!];
        const snapshots = [structuredClone(targets[0]!)];
        for (const target of targets.slice(1)) {
          const next = applyDocumentPatch(chain.at(-1), diffDocuments(chain.at(-1), target));
          chain.push(next);
          snapshots.push(structuredClone(next));
        }
        expect(chain).toEqual(snapshots);
        expect(chain.at(-1)).toEqual(targets.at(-1));
      }),
      { numRuns: 300 },
    );
  });

  describe('operations diff never produces', () => {
    const base: CiDocument = {
      type: 'server',
      name: 'web-1',
      status: 'live',
      attributes: { disks: [{ sizeGb: 100 }, { sizeGb: 200 }], os: { name: 'debian', version: '12' } },
      relationships: [],
    };

    it('move shares nothing that a later operation writes back into the input', () => {
      const before = structuredClone(base);
      const moved = applyDocumentPatch(base, [
        { op: 'move', from: '/attributes/os', path: '/attributes/platform' },
        { op: 'replace', path: '/attributes/platform/version', value: '13' },
      ]);
      expect(base).toEqual(before);
      expect(moved.attributes).toEqual({
        disks: [{ sizeGb: 100 }, { sizeGb: 200 }],
        platform: { name: 'debian', version: '13' },
      });
    });

    it('copy and array edits leave the input alone', () => {
      const before = structuredClone(base);
      const copied = applyDocumentPatch(base, [
        { op: 'copy', from: '/attributes/disks/0', path: '/attributes/disks/-' },
        { op: 'replace', path: '/attributes/disks/2/sizeGb', value: 300 },
        { op: 'remove', path: '/attributes/disks/0' },
        { op: 'add', path: '/attributes/os/kernel', value: '6.1' },
      ]);
      expect(base).toEqual(before);
      expect(copied.attributes).toEqual({
        disks: [{ sizeGb: 200 }, { sizeGb: 300 }],
        os: { name: 'debian', version: '12', kernel: '6.1' },
      });
    });

    it('a patch that does not apply throws and leaves the input alone', () => {
      const before = structuredClone(base);
      expect(() => applyDocumentPatch(base, [{ op: 'replace', path: '/attributes/missing/x', value: 1 }])).toThrow(
        /JSON Patch does not apply/,
      );
      expect(() =>
        applyDocumentPatch(base, [
          { op: 'replace', path: '/attributes/os/name', value: 'alpine' },
          { op: 'test', path: '/attributes/os/name', value: 'debian' },
        ]),
      ).toThrow(/JSON Patch does not apply/);
      expect(base).toEqual(before);
    });
  });
});
