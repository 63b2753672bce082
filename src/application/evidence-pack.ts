import { createPublicKey, verify } from 'node:crypto';
import { canonicalJson } from '../ports/canonical-json';
import { foldCi, type CiDocument } from '../domain';
import { GENESIS_HASH, chainHash, type ChainLink } from '../ports/event-chain';
import type { RecordedEvent } from '../ports/event-store';
import { toRecordedCiEvent } from './ci-event-codec';

export const EVIDENCE_FORMAT = 'configledger-evidence/v1';

/** One evidence pack: everything an auditor files, signed. */
export interface EvidencePack {
  readonly format: typeof EVIDENCE_FORMAT;
  readonly madeAt: string;
  readonly asOf: string;
  readonly selector: { readonly ciId: string | null; readonly type: string | null };
  /** The log when the pack was made: its chain was verified up to this head. */
  readonly log: {
    readonly chain: 'global' | 'per-stream';
    readonly verifiedEvents: number;
    readonly head: { readonly position: number; readonly hash: string } | null;
  };
  /** The selected CIs as they stood at asOf. */
  readonly cis: ReadonlyArray<{
    readonly id: string;
    readonly revision: number;
    readonly recordedAt: string;
    readonly document: CiDocument;
  }>;
  /** Their whole history up to asOf, with each event's chain link, oldest first. */
  readonly events: ReadonlyArray<RecordedEvent & { readonly chain: ChainLink }>;
  readonly signature: {
    readonly algorithm: 'Ed25519';
    /** SHA-256 of the public key (SPKI DER), hex: which key to expect. */
    readonly keyId: string;
    readonly publicKey: string;
    /** Base64 Ed25519 signature over the canonical JSON (RFC 8785) of the pack with this field empty. */
    readonly value: string;
  };
}

/** The bytes that are signed: the pack in canonical JSON, with the signature value empty. */
export function signedBytes(pack: EvidencePack | Record<string, unknown>): Buffer {
  const signature = (pack as { signature?: Record<string, unknown> }).signature ?? {};
  return Buffer.from(canonicalJson({ ...pack, signature: { ...signature, value: '' } }), 'utf8');
}

/**
 * What can be checked with the pack alone (beside the signature, checked by
 * the caller with the key it trusts): every event's content matches its
 * hash; on a per-stream chain each CI's events follow each other from the
 * genesis; every CI's state is the fold of its events. Returns the problems
 * found, none when the pack holds together.
 */
export function checkPackContents(pack: EvidencePack): string[] {
  const problems: string[] = [];
  const byCi = new Map<string, RecordedEvent[]>();
  for (const event of pack.events) {
    if (!event.chain || chainHash(event.chain.prevHash, event) !== event.chain.hash) {
      problems.push(`event at position ${event.position} does not match its hash`);
    }
    byCi.set(event.streamName, [...(byCi.get(event.streamName) ?? []), event]);
  }
  for (const [stream, events] of byCi) {
    if (pack.log.chain === 'per-stream') {
      events.forEach((event, index) => {
        const expected = index === 0 ? GENESIS_HASH : events[index - 1]!.chain!.hash;
        if (event.chain?.prevHash !== expected)
          problems.push(`event at position ${event.position} does not follow the previous event of ${stream}`);
      });
    }
    events.forEach((event, index) => {
      if (event.revision !== index + 1) problems.push(`${stream} lacks revision ${index + 1}`);
    });
  }
  for (const ci of pack.cis) {
    const events = byCi.get(`ci-${ci.id}`) ?? [];
    let folded: ReturnType<typeof foldCi>;
    try {
      folded = foldCi(events.map(toRecordedCiEvent));
    } catch (error) {
      problems.push(`CI ${ci.id}: its events do not fold (${(error as Error).message})`);
      continue;
    }
    if (folded.revision !== ci.revision || canonicalJson(folded.document) !== canonicalJson(ci.document)) {
      problems.push(`CI ${ci.id}: its state is not the fold of its events`);
    }
  }
  if (pack.log.head && pack.events.some((event) => event.position > pack.log.head!.position)) {
    problems.push('an event lies beyond the log head the pack names');
  }
  return problems;
}

/**
 * The whole offline check of a pack as text, against the public key the
 * auditor trusts (PEM): the signature over the canonical pack, then its
 * contents. Returns the problems found; none means valid.
 */
export function verifyPackText(text: string, trustedPublicKeyPem: string): string[] {
  let pack: EvidencePack;
  try {
    pack = JSON.parse(text) as EvidencePack;
  } catch (error) {
    return [`the pack is not JSON (${(error as Error).message})`];
  }
  if (typeof pack !== 'object' || pack === null || pack.format !== EVIDENCE_FORMAT)
    return [`not a ${EVIDENCE_FORMAT} pack`];
  // Only the canonical base64 of the signature counts: Node's decoder would ignore a changed padding or spare bits.
  const value = String(pack.signature?.value);
  const signature = Buffer.from(value, 'base64');
  if (signature.toString('base64') !== value) return ['the signature is not canonical base64: the pack was changed'];
  let signed = false;
  try {
    signed = verify(null, signedBytes(pack), createPublicKey(trustedPublicKeyPem), signature);
  } catch (error) {
    return [`the signature cannot be checked: ${(error as Error).message}`];
  }
  if (!signed)
    return ['the signature does not verify with the given public key: the pack was changed, or signed by another key'];
  try {
    return checkPackContents(pack);
  } catch (error) {
    return [`the pack is malformed: ${(error as Error).message}`];
  }
}
