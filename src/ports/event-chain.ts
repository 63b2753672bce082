import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/**
 * The hash chain that makes the log verifiable: every event carries the hash
 * of its predecessor and its own hash over a canonical encoding (RFC 8785
 * JSON) of the predecessor's hash and the event's id, stream, revision, type,
 * data, metadata and recorded time. Editing, deleting, inserting or
 * reordering any event breaks the chain from there on.
 *
 * The predecessor is the previous event in the global log where the store
 * has one order for all appends (SQLite), or the previous event of the same
 * stream where appends to different streams race (EventStoreDB).
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainLink {
  readonly prevHash: string;
  readonly hash: string;
}

export interface HashedContent {
  readonly id: string;
  readonly streamName: string;
  readonly revision: number;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly recordedAt: string;
}

export function chainHash(prevHash: string, event: HashedContent): string {
  return chainHashOfParts(prevHash, event, canonicalJson(event.data), canonicalJson(event.metadata));
}

/**
 * The same hash from the canonical JSON of data and metadata already made
 * (the embedded log stores that very text): the canonical object is written
 * by hand, its keys in RFC 8785 order, so nothing is serialised twice.
 */
export function chainHashOfParts(
  prevHash: string,
  event: Omit<HashedContent, 'data' | 'metadata'>,
  canonicalData: string,
  canonicalMetadata: string,
): string {
  const encoded =
    `{"data":${canonicalData},"id":${JSON.stringify(event.id)},"metadata":${canonicalMetadata},` +
    `"prevHash":${JSON.stringify(prevHash)},"recordedAt":${JSON.stringify(event.recordedAt)},` +
    `"revision":${event.revision},"stream":${JSON.stringify(event.streamName)},"type":${JSON.stringify(event.type)}}`;
  return createHash('sha256').update(encoded, 'utf8').digest('hex');
}

export function link(prevHash: string, event: HashedContent): ChainLink {
  return { prevHash, hash: chainHash(prevHash, event) };
}
