import { AccessDeniedError, UnavailableError, WrongExpectedVersionError, jsonEvent } from '@eventstore/db-client';
import { chainHash } from '../../../src/ports/event-chain';
import {
  classifyEsdbError,
  fromEsdbCurrentRevision,
  fromEsdbPosition,
  fromEsdbRecordedEvent,
  fromEsdbRevision,
  isCiEvent,
  toEsdbEventData,
  toChainedEsdbEvents,
  toEsdbExpectedRevision,
  toEsdbPosition,
} from '../../../src/adapters/event-store/eventstoredb-mapping';
import type { NewEvent } from '../../../src/ports/event-store';

const event: NewEvent = {
  id: '5c0f6b7e-3f2a-4d0b-9a51-8f5b7b3c2d10',
  type: 'CiChanged',
  data: { ciId: 'web-01', patch: [{ op: 'replace', path: '/name', value: 'web' }] },
  metadata: { actor: 'alice', reason: null, changeRef: 'CHG-1', source: 'api', correlationId: 'req-9' },
  recordedAt: '2026-02-03T04:05:06.789Z',
};

describe('EventStoreDB revisions: ours count events from 1, the client numbers them from 0', () => {
  it.each([
    [0, 'no_stream'],
    [1, 0n],
    [42, 41n],
    ['no_stream', 'no_stream'],
    ['any', 'any'],
  ] as const)('expected %p → %p', (ours, theirs) => {
    expect(toEsdbExpectedRevision(ours)).toBe(theirs);
  });

  it('refuses an expected revision that is not a count', () => {
    expect(() => toEsdbExpectedRevision(-1)).toThrow(RangeError);
    expect(() => toEsdbExpectedRevision(1.5)).toThrow(RangeError);
  });

  it('maps an event revision and a stream current revision back', () => {
    expect(fromEsdbRevision(0n)).toBe(1);
    expect(fromEsdbRevision(9n)).toBe(10);
    expect(fromEsdbCurrentRevision('no_stream')).toBe(0);
    expect(fromEsdbCurrentRevision(2n)).toBe(3);
  });
});

describe('EventStoreDB positions', () => {
  it('uses the commit position, and reads $all from the same pair', () => {
    expect(fromEsdbPosition({ commit: 1234n, prepare: 1234n }, 'x')).toBe(1234);
    expect(toEsdbPosition(1234)).toEqual({ commit: 1234n, prepare: 1234n });
  });

  it('refuses a missing position (servers before 22.10 on stream reads) with a message naming the fix', () => {
    expect(() => fromEsdbPosition(undefined, 'event e')).toThrow(/22\.10 or later/);
    expect(() => fromEsdbPosition({ commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n }, 'event e')).toThrow(
      /did not report a \$all position for event e/,
    );
  });

  it('refuses positions beyond the safe integers rather than rounding them', () => {
    expect(() => fromEsdbPosition({ commit: 2n ** 60n, prepare: 2n ** 60n }, 'x')).toThrow(RangeError);
  });
});

describe('EventStoreDB events', () => {
  it('writes JSON with our recorded time and metadata in an envelope, and the correlation id ESDB indexes', () => {
    expect(toEsdbEventData(event)).toEqual({
      id: event.id,
      contentType: 'application/json',
      type: 'CiChanged',
      data: event.data,
      metadata: { recordedAt: event.recordedAt, metadata: event.metadata, $correlationId: 'req-9' },
    });
  });

  it('produces what the client itself builds for a JSON event', () => {
    const ours = toEsdbEventData(event);
    const theirs = jsonEvent({ id: event.id, type: ours.type, data: ours.data, metadata: ours.metadata });
    expect(theirs).toEqual(ours);
  });

  it('reads back exactly what was written, with 1-based revision and commit position', () => {
    const written = toEsdbEventData(event);
    const read = fromEsdbRecordedEvent({
      streamId: 'ci-web-01',
      id: written.id,
      type: written.type,
      revision: 4n,
      isJson: true,
      data: written.data,
      metadata: written.metadata,
      position: { commit: 777n, prepare: 777n },
    });
    expect(read).toEqual({ ...event, streamName: 'ci-web-01', revision: 5, position: 777 });
  });

  it('chains the events of an append after the stream head, each link in its metadata, read back as written', () => {
    const second = { ...event, id: 'e-2', recordedAt: '2026-01-02T00:00:00.000Z' };
    const [first, next] = toChainedEsdbEvents('ci-web-01', 5, 'f'.repeat(64), [event, second]);
    expect(first!.metadata.chain).toEqual({
      prevHash: 'f'.repeat(64),
      hash: chainHash('f'.repeat(64), { ...event, streamName: 'ci-web-01', revision: 5 }),
    });
    expect(next!.metadata.chain!.prevHash).toBe(first!.metadata.chain!.hash);
    expect(next!.metadata.chain!.hash).toBe(
      chainHash(first!.metadata.chain!.hash, { ...second, streamName: 'ci-web-01', revision: 6 }),
    );
    const read = fromEsdbRecordedEvent({
      streamId: 'ci-web-01',
      id: next!.id,
      type: next!.type,
      revision: 5n,
      isJson: true,
      data: next!.data,
      metadata: next!.metadata,
      position: { commit: 900n, prepare: 900n },
    });
    expect(read.chain).toEqual(next!.metadata.chain);
    // What verification recomputes from the read event is the stored hash.
    expect(chainHash(read.chain!.prevHash, read)).toBe(read.chain!.hash);
  });

  it('refuses events ConfigLedger did not write, naming the event', () => {
    const foreign = {
      streamId: 'ci-x',
      id: 'e1',
      type: 'Something',
      revision: 0n,
      isJson: true,
      data: {},
      metadata: { whatever: true },
      position: { commit: 1n, prepare: 1n },
    };
    expect(() => fromEsdbRecordedEvent(foreign)).toThrow(/event e1 \(ci-x@0\) has no recordedAt/);
    expect(() => fromEsdbRecordedEvent({ ...foreign, isJson: false })).toThrow(/is not JSON/);
  });

  it('keeps CI streams and drops system streams and system events', () => {
    expect(isCiEvent({ streamId: 'ci-web-01', type: 'CiChanged' })).toBe(true);
    expect(isCiEvent({ streamId: '$stats-127.0.0.1:2113', type: '$statsCollected' })).toBe(false);
    expect(isCiEvent({ streamId: '$$ci-web-01', type: '$metadata' })).toBe(false);
    expect(isCiEvent({ streamId: 'ci-web-01', type: '$>' })).toBe(false);
    expect(isCiEvent({ streamId: 'orders-1', type: 'OrderPlaced' })).toBe(false);
    // Test suites sharing a server keep their streams under their own prefix.
    expect(isCiEvent({ streamId: 'contract-a-1', type: 'CiChanged' }, 'contract-')).toBe(true);
    expect(isCiEvent({ streamId: 'contract-a-1', type: 'CiChanged' })).toBe(false);
  });
});

describe('EventStoreDB errors, classified by the client error classes', () => {
  it('a wrong expected version is a concurrency conflict with the actual revision as a count', () => {
    const error = new WrongExpectedVersionError(undefined, { streamName: 'ci-a', expected: 1n, current: 2n });
    expect(classifyEsdbError(error)).toEqual({ kind: 'concurrency', actual: 3 });
    const missing = new WrongExpectedVersionError(undefined, {
      streamName: 'ci-a',
      expected: 1n,
      current: 'no_stream',
    });
    expect(classifyEsdbError(missing)).toEqual({ kind: 'concurrency', actual: 0 });
  });

  it('unavailability is retryable, never a conflict, typed or a bare gRPC status', () => {
    expect(classifyEsdbError(new UnavailableError())).toMatchObject({ kind: 'unavailable' });
    const bare = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
    expect(classifyEsdbError(bare)).toMatchObject({ kind: 'unavailable' });
  });

  it('access denied points at the credentials', () => {
    expect(classifyEsdbError(new AccessDeniedError())).toEqual({
      kind: 'unavailable',
      hint: expect.stringMatching(/credentials in EVENTSTORE_URL/),
    });
  });

  it('anything else is passed through', () => {
    expect(classifyEsdbError(new Error('boom'))).toEqual({ kind: 'other' });
    expect(classifyEsdbError(undefined)).toEqual({ kind: 'other' });
  });
});
