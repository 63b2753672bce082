import { createHash, createPublicKey, randomUUID, verify } from 'node:crypto';
import { canonicalJson } from '../ports/canonical-json';
import type { EventStore } from '../ports/event-store';
import type { Signer } from '../ports/signer';

/**
 * Signed checkpoints of every stream head, for stores whose chain runs per
 * stream (EventStoreDB): a stream's chain alone cannot show that its last
 * events were cut off, so the service regularly signs a digest of all heads
 * — `[stream, revision, hash]` sorted, in canonical JSON, SHA-256 — as of a
 * log position, and appends it to a stream of its own. Verification recomputes
 * the heads at that position and compares.
 */
export const CHECKPOINT_STREAM = 'configledger-chain-checkpoints';
export const CHECKPOINT_EVENT = 'ChainHeadsCheckpointed';

export interface ChainCheckpoint {
  /** Heads of every stream as of this log position (events at or before it). */
  readonly position: number;
  readonly streams: number;
  readonly digest: string;
  readonly signedAt: string;
  readonly keyId: string;
  /** Base64 Ed25519 over the canonical JSON of the four fields above. */
  readonly signature: string;
}

export type StreamHeads = Map<string, { revision: number; hash: string }>;

export function headsDigest(heads: StreamHeads): string {
  const sorted = [...heads.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([stream, head]) => [stream, head.revision, head.hash]);
  return createHash('sha256').update(canonicalJson(sorted), 'utf8').digest('hex');
}

function signedPart(checkpoint: Pick<ChainCheckpoint, 'position' | 'streams' | 'digest' | 'signedAt'>): Buffer {
  const { position, streams, digest, signedAt } = checkpoint;
  return Buffer.from(canonicalJson({ position, streams, digest, signedAt }), 'utf8');
}

export function checkpointSignatureValid(checkpoint: ChainCheckpoint, publicKeyPem: string): boolean {
  try {
    return verify(
      null,
      signedPart(checkpoint),
      createPublicKey(publicKeyPem),
      Buffer.from(checkpoint.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** The newest checkpoint in the store, if any. */
export async function latestCheckpoint(store: EventStore): Promise<ChainCheckpoint | undefined> {
  const head = await store.streamHead(CHECKPOINT_STREAM);
  if (!head) return undefined;
  const [event] = await store.readStream(CHECKPOINT_STREAM, { fromRevision: head.revision });
  return event?.data as ChainCheckpoint | undefined;
}

/**
 * Follows the log and keeps every stream's head; `checkpoint()` signs and
 * appends them when the log has moved since the last one. One per process:
 * it reads the whole log once, then only what is new.
 */
export class ChainHeadTracker {
  private readonly heads: StreamHeads = new Map();
  private position = 0;
  private checkpointed = -1;

  constructor(
    private readonly store: EventStore,
    private readonly signer: Signer,
    private readonly now: () => Date,
  ) {}

  async checkpoint(): Promise<ChainCheckpoint | undefined> {
    for (;;) {
      const page = await this.store.readAll(this.position, 1000);
      for (const event of page) {
        if (event.chain) this.heads.set(event.streamName, { revision: event.revision, hash: event.chain.hash });
        this.position = event.position;
      }
      if (page.length < 1000) break;
    }
    if (this.position === this.checkpointed || this.heads.size === 0) return undefined;
    const unsigned = {
      position: this.position,
      streams: this.heads.size,
      digest: headsDigest(this.heads),
      signedAt: this.now().toISOString(),
    };
    const checkpoint: ChainCheckpoint = {
      ...unsigned,
      keyId: this.signer.keyId,
      signature: this.signer.sign(signedPart(unsigned)),
    };
    const previous = await this.store.streamHead(CHECKPOINT_STREAM);
    await this.store.append(
      CHECKPOINT_STREAM,
      [{ id: randomUUID(), type: CHECKPOINT_EVENT, data: checkpoint, metadata: {}, recordedAt: checkpoint.signedAt }],
      previous?.revision ?? 'no_stream',
    );
    this.checkpointed = this.position;
    return checkpoint;
  }
}
