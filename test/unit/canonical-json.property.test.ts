import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { canonicalJson } from '../../src/ports/canonical-json';

/** The hash chain, secrets and evidence rest on one canonical encoding: RFC 8785's, as its reference library writes it. */
describe('canonical JSON', () => {
  it('is exactly RFC 8785 (the canonicalize library) for every JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('sorts keys by UTF-16 code units, whatever order they were written in', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 'é😀' }], '10': 0, '2': 0, é: 1, Z: 1 })).toBe(
      '{"10":0,"2":0,"Z":1,"a":[{"c":"é😀","d":1}],"b":1,"é":1}',
    );
  });

  it('refuses what is not a JSON value', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});
