import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import { canonicalJson } from '../ports/canonical-json';
import type { SecretPolicy } from '../domain';
import { keyFile } from './key-file';

/**
 * Keys whose values are secret, tested against the key in lower case with
 * separators (space, `_`, `-`, `.`) removed, so `apiKey`, `api_key` and
 * `API Key` are all `apikey`.
 */
export const DEFAULT_SECRET_ATTRIBUTE_PATTERN =
  'password|passwd|secret|token|apikey|privatekey|credential|connectionstring';

export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[\s_.-]+/g, '');
}

/** The HMAC key: SECRET_HMAC_KEY when given, else a file in the data directory made on first start (mode 0600). */
export function loadSecretKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return Buffer.from(configured, 'utf8');
  const text = keyFile(path.join(dataDir, 'secret-hmac.key'), () => `${randomBytes(32).toString('base64')}\n`);
  return Buffer.from(text.trim(), 'base64');
}

/** Fingerprints values with HMAC-SHA256 over their canonical JSON (RFC 8785), under the server's key. */
export function secretPolicy(key: Buffer, pattern = DEFAULT_SECRET_ATTRIBUTE_PATTERN): SecretPolicy {
  const secretKey = new RegExp(pattern, 'i');
  return {
    isSecretKey: (name) => secretKey.test(normalizeKey(name)),
    fingerprint: (value) => `hmac-sha256:${createHmac('sha256', key).update(canonicalJson(value)).digest('hex')}`,
  };
}
