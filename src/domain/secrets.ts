import type { CiCommand } from './commands';

/**
 * Secret attributes never enter the log: their value is replaced, before any
 * event is built, by a keyed fingerprint `{"$secret": "hmac-sha256:<hex>"}`.
 * The same value gives the same fingerprint (re-sending it changes nothing),
 * a new value a visibly different one. A value that already is a fingerprint
 * (a client sending back what it read) is kept as it is.
 *
 * Pure: which keys are secret and how a value is fingerprinted are given.
 */
export interface SecretPolicy {
  /** Whether an attribute key (at any depth) holds a secret. */
  isSecretKey(key: string): boolean;
  /** `hmac-sha256:<hex>` of the value. */
  fingerprint(value: unknown): string;
}

export const SECRET_MARKER = '$secret';
const FINGERPRINT = /^hmac-sha256:[0-9a-f]{64}$/;

export function isFingerprint(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 1 &&
    keys[0] === SECRET_MARKER &&
    FINGERPRINT.test(String((value as Record<string, unknown>)[SECRET_MARKER]))
  );
}

/**
 * The attributes with every secret value fingerprinted. `null` stays null:
 * in a merge patch it removes the key, and in a document it holds no secret.
 */
export function maskSecrets<T>(value: T, policy: SecretPolicy): T {
  if (typeof value !== 'object' || value === null || isFingerprint(value)) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => maskSecrets(item, policy)) as T;
  // fromEntries defines each key as an own property: a "__proto__" key stays a key for validation to refuse.
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      policy.isSecretKey(key) && inner !== null && !isFingerprint(inner)
        ? { [SECRET_MARKER]: policy.fingerprint(inner) }
        : maskSecrets(inner, policy),
    ]),
  ) as T;
}

/** The command with the secrets in its attributes fingerprinted. */
export function maskCommandSecrets(command: CiCommand, policy: SecretPolicy): CiCommand {
  switch (command.type) {
    case 'RegisterCi':
    case 'DeclareCi':
      return {
        ...command,
        desired: { ...command.desired, attributes: maskSecrets(command.desired.attributes, policy) },
      };
    case 'PatchCi': {
      const patch = command.mergePatch;
      if (typeof patch !== 'object' || patch === null || !('attributes' in patch)) return command;
      const attributes = (patch as { attributes: unknown }).attributes;
      return { ...command, mergePatch: { ...patch, attributes: maskSecrets(attributes, policy) } };
    }
    default:
      return command; // retire and restore carry no new attribute values
  }
}
