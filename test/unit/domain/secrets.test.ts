import fc from 'fast-check';
import { isFingerprint, maskSecrets } from '../../../src/domain';
import { normalizeKey, secretPolicy } from '../../../src/adapters/secret-fingerprints';

const policy = secretPolicy(Buffer.from('unit-test-key-unit-test-key-32ch'));

describe('secret attributes', () => {
  it.each([
    'password',
    'Passwd',
    'db_password',
    'clientSecret',
    'apiKey',
    'API Key',
    'api-key',
    'private.key',
    'x_token',
    'Credentials',
    'connectionString',
    'Connection String',
  ])('treats %s as secret', (key) => expect(policy.isSecretKey(key)).toBe(true));

  it.each(['name', 'cpu', 'hostname', 'keyboard', 'pass'])('leaves %s alone', (key) =>
    expect(policy.isSecretKey(key)).toBe(false),
  );

  it('normalises keys: lower case, no separators', () => {
    expect(normalizeKey('API_Key-of.the user')).toBe('apikeyoftheuser');
  });

  it('fingerprints secret values at any depth, keeps null, and never re-fingerprints a fingerprint', () => {
    const masked = maskSecrets({ a: { password: 's3', list: [{ token: 1 }] }, apiKey: null, cpu: 4 }, policy);
    expect(masked).toEqual({
      a: {
        password: { $secret: expect.stringMatching(/^hmac-sha256:/) },
        list: [{ token: { $secret: expect.any(String) } }],
      },
      apiKey: null,
      cpu: 4,
    });
    expect(maskSecrets(masked, policy)).toEqual(masked);
    expect(isFingerprint(masked.a.password)).toBe(true);
  });

  it('is a function of the value: same value, same fingerprint; different values, different ones (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (x, y) => {
        const fx = policy.fingerprint(x);
        expect(policy.fingerprint(structuredClone(x))).toBe(fx);
        if (JSON.stringify(x) !== JSON.stringify(y) && !(Object.is(x, -0) || Object.is(y, -0))) {
          // Canonical JSON may equate key orders, never different values.
          if (policy.fingerprint(y) === fx) expect(JSON.stringify(sortKeys(x))).toBe(JSON.stringify(sortKeys(y)));
        }
      }),
    );
  });
});

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
