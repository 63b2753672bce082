import { CI_STREAM_PREFIX } from '../../domain';
import type { ExpectedRevision, NewEvent, RecordedEvent } from '../../ports/event-store';
import { link, type ChainLink } from '../../ports/event-chain';

/**
 * Pure translation between our event store port and the EventStoreDB client's
 * shapes, kept apart from the driver so it is unit-tested without a server.
 *
 * Revisions: EventStoreDB numbers a stream's events from 0 (the revision of
 * the first event is 0n); ours count events, from 1. Positions: the commit
 * position of the event in `$all`, a byte offset that fits a JS number for
 * any log below 8 PiB.
 */

/** Structurally the client's `Position`. */
export interface EsdbPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** Structurally the parts of the client's `RecordedEvent` we read. */
export interface EsdbRecordedEvent {
  readonly streamId: string;
  readonly id: string;
  readonly type: string;
  readonly revision: bigint;
  readonly isJson: boolean;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly position?: EsdbPosition | undefined;
}

/** What we write as an event's metadata: our recorded time travels with the change metadata. */
export interface EsdbMetadataEnvelope {
  readonly recordedAt: string;
  readonly metadata: unknown;
  /** The event's link in its stream's hash chain (absent on events written before chaining). */
  readonly chain?: ChainLink;
  /** Read by EventStoreDB's `$by_correlation_id` system projection. */
  readonly $correlationId?: string;
}

export interface EsdbJsonEventData {
  readonly id: string;
  readonly contentType: 'application/json';
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: EsdbMetadataEnvelope;
}

/** The client reports "no position" as the largest unsigned 64-bit integer on old servers. */
const NO_POSITION = 2n ** 64n - 1n;

/** Our expected revision (events already in the stream) → the client's expected revision. */
export function toEsdbExpectedRevision(expected: ExpectedRevision): 'any' | 'no_stream' | bigint {
  if (expected === 'any' || expected === 'no_stream') return expected;
  if (!Number.isSafeInteger(expected) || expected < 0) throw new RangeError(`invalid expected revision ${expected}`);
  return expected === 0 ? 'no_stream' : BigInt(expected - 1);
}

/** The client's 0-based revision of an event → our 1-based revision. */
export function fromEsdbRevision(revision: bigint): number {
  return toSafeNumber(revision + 1n, 'stream revision');
}

/** The client's current revision of a stream (`no_stream` or the last event's) → its number of events. */
export function fromEsdbCurrentRevision(current: 'no_stream' | bigint | string): number {
  return typeof current === 'bigint' ? fromEsdbRevision(current) : 0;
}

/** A commit position → our numeric position; rejects what cannot be one. */
/** Whether the server reported a position (a retried idempotent append may come back without one). */
export function hasEsdbPosition(position: EsdbPosition | undefined): position is EsdbPosition {
  return position !== undefined && position.commit !== NO_POSITION && position.commit >= 0n;
}

export function fromEsdbPosition(position: EsdbPosition | undefined, what: string): number {
  if (!position || position.commit === NO_POSITION || position.commit < 0n) {
    throw new Error(
      `EventStoreDB did not report a $all position for ${what}; ConfigLedger needs EventStoreDB 22.10 or later (or KurrentDB), which report positions on stream reads`,
    );
  }
  return toSafeNumber(position.commit, 'commit position');
}

/**
 * Our numeric position → a position to read `$all` from. Outside explicit
 * transactions (we never use them) an event's prepare position equals its
 * commit position, so the pair is the event's exact place in the log.
 */
export function toEsdbPosition(position: number): EsdbPosition {
  const value = BigInt(position);
  return { commit: value, prepare: value };
}

/**
 * CI streams only (`ci-…`, or another prefix the adapter was given), and never
 * a system event (types beginning with `$`; system streams begin with `$`).
 */
export function isCiEvent(event: Pick<EsdbRecordedEvent, 'streamId' | 'type'>, prefix = CI_STREAM_PREFIX): boolean {
  return event.streamId.startsWith(prefix) && !event.type.startsWith('$');
}

/**
 * The events of one append, each with its link in the stream's chain: the
 * first follows `prevHash` (the stream head's hash, or the genesis hash).
 */
export function toChainedEsdbEvents(
  streamName: string,
  firstRevision: number,
  prevHash: string,
  events: readonly NewEvent[],
): EsdbJsonEventData[] {
  let prev = prevHash;
  return events.map((event, index) => {
    // Canonical JSON writes JSON values as the read-back (parsed) form would: no round trip needed.
    const chained = link(prev, { ...event, streamName, revision: firstRevision + index });
    prev = chained.hash;
    return toEsdbEventData(event, chained);
  });
}

export function toEsdbEventData(event: NewEvent, chain?: ChainLink): EsdbJsonEventData {
  if (typeof event.data !== 'object' || event.data === null || Array.isArray(event.data)) {
    throw new TypeError(`event ${event.id}: data must be a JSON object`);
  }
  const correlationId = correlationIdOf(event.metadata);
  return {
    id: event.id,
    contentType: 'application/json',
    type: event.type,
    data: event.data as Record<string, unknown>,
    metadata: {
      recordedAt: event.recordedAt,
      metadata: event.metadata,
      ...(chain && { chain }),
      ...(correlationId ? { $correlationId: correlationId } : {}),
    },
  };
}

export function fromEsdbRecordedEvent(event: EsdbRecordedEvent): RecordedEvent {
  const where = `event ${event.id} (${event.streamId}@${event.revision})`;
  if (!event.isJson) throw new Error(`${where} is not JSON; it was not written by ConfigLedger`);
  const envelope = event.metadata as Partial<EsdbMetadataEnvelope> | undefined;
  if (!envelope || typeof envelope.recordedAt !== 'string' || !('metadata' in envelope)) {
    throw new Error(`${where} has no recordedAt in its metadata; it was not written by ConfigLedger`);
  }
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: envelope.metadata,
    recordedAt: envelope.recordedAt,
    streamName: event.streamId,
    revision: fromEsdbRevision(event.revision),
    position: fromEsdbPosition(event.position, where),
    ...(isChainLink(envelope.chain) && { chain: envelope.chain }),
  };
}

function correlationIdOf(metadata: unknown): string | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const value = (metadata as { correlationId?: unknown }).correlationId;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function toSafeNumber(value: bigint, what: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new RangeError(`${what} ${value} does not fit a safe integer`);
  return number;
}

export type EsdbFailure =
  | { readonly kind: 'concurrency'; readonly actual: number }
  | { readonly kind: 'too-large'; readonly maxBytes: number | undefined }
  | { readonly kind: 'unavailable'; readonly hint: string }
  | { readonly kind: 'other' };

/** The client's error `type`s after which retrying later can succeed. */
const RETRYABLE = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'not-leader', 'cancelled', 'unknown']);
/**
 * gRPC status codes the client passes through untyped (an append before any
 * connection was established fails with a bare UNAVAILABLE): CANCELLED,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE.
 */
const RETRYABLE_GRPC_CODES = new Set([1, 4, 8, 14]);

/**
 * Classifies an error thrown by the client by its documented `type`
 * (`ErrorType` in the client): a wrong expected version is a concurrency
 * conflict (412/409, never 5xx); transport failures are retryable (503,
 * never 412); access denied means the credentials in EVENTSTORE_URL are wrong.
 */
export function classifyEsdbError(error: unknown): EsdbFailure {
  const { type, code } = (error ?? {}) as { type?: unknown; code?: unknown };
  if (type === 'wrong-expected-version') {
    const actual = (error as { actualVersion?: 'no_stream' | bigint }).actualVersion;
    return { kind: 'concurrency', actual: actual === undefined ? 0 : fromEsdbCurrentRevision(actual) };
  }
  if (type === 'maximum-append-size-exceeded') {
    const maxBytes = (error as { maxAppendSize?: unknown }).maxAppendSize;
    return { kind: 'too-large', maxBytes: typeof maxBytes === 'number' ? maxBytes : undefined };
  }
  if (type === 'access-denied') {
    return { kind: 'unavailable', hint: 'EventStoreDB refused access: check the credentials in EVENTSTORE_URL' };
  }
  if (
    (typeof type === 'string' && RETRYABLE.has(type)) ||
    (type === undefined && RETRYABLE_GRPC_CODES.has(code as number))
  ) {
    return { kind: 'unavailable', hint: 'EventStoreDB is unreachable or not the leader; retry later' };
  }
  return { kind: 'other' };
}

function isChainLink(value: unknown): value is ChainLink {
  const candidate = value as Partial<ChainLink> | undefined;
  return typeof candidate?.prevHash === 'string' && typeof candidate.hash === 'string';
}
