/**
 * Signs with the service's Ed25519 key (evidence packs, chain checkpoints);
 * the private key stays with the implementation.
 */
export interface Signer {
  /** PEM (SPKI) of the public key: what auditors check signatures with. */
  readonly publicKeyPem: string;
  /** SHA-256 of the public key's DER, hex. */
  readonly keyId: string;
  /** Base64 signature of the bytes. */
  sign(bytes: Buffer): string;
}
