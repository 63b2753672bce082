import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { keyFile } from './key-file';
import type { Signer } from '../ports/signer';

/**
 * The service's Ed25519 evidence key: EVIDENCE_SIGNING_KEY (PKCS#8 PEM) when
 * given, else `evidence-signing.key` in the data directory, made on first
 * start (mode 0600). The private key never leaves this module.
 */
export function loadSigningKey(configuredPem: string | undefined, dataDir: string): Signer {
  let privateKey: KeyObject;
  if (configuredPem) {
    privateKey = createPrivateKey(configuredPem);
  } else {
    const pem = keyFile(path.join(dataDir, 'evidence-signing.key'), () =>
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    privateKey = createPrivateKey(pem);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the evidence signing key must be an Ed25519 key');
  const publicKey = createPublicKey(privateKey);
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
    sign: (bytes) => sign(null, bytes, privateKey).toString('base64'),
  };
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}
