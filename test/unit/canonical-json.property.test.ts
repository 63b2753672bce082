import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { canonicalJson } from '../../src/ports/canonical-json';
import { chainHash, chainHashOfParts } from '../../src/ports/event-chain';

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

describe('the chain hash by parts', () => {
  it('is the hash of the whole event in canonical JSON, for any content', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.string(), fc.nat(), (data, metadata, text, revision) => {
        const event = { id: text, streamName: `ci-${text}`, revision, type: text, recordedAt: text, data, metadata };
        const whole = createHash('sha256')
          .update(
            canonicalize({
              prevHash: text,
              id: event.id,
              stream: event.streamName,
              revision,
              type: event.type,
              data,
              metadata,
              recordedAt: event.recordedAt,
            })!,
          )
          .digest('hex');
        expect(chainHash(text, event)).toBe(whole);
        expect(chainHashOfParts(text, event, canonicalJson(data), canonicalJson(metadata))).toBe(whole);
      }),
    );
  });
});
