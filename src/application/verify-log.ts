import { setImmediate } from 'node:timers/promises';
import { ciIdFromStream } from '../domain';
import { GENESIS_HASH, chainHash } from '../ports/event-chain';
import type { ChainUpgrade, EventStore, RecordedEvent } from '../ports/event-store';
import { checkpointSignatureValid, headsDigest, latestCheckpoint, type StreamHeads } from './chain-checkpoints';

export type VerifyResult =
  | {
      readonly ok: true;
      /** Events whose links were recomputed. */
      readonly events: number;
      /** The newest link: the value to keep and compare a later verification (or an evidence pack) against. */
      readonly head: { readonly position: number; readonly hash: string } | null;
      readonly chain: 'global' | 'per-stream';
      /** Events chained by an upgrade rather than at their append (recorded before chaining existed). */
      readonly upgrades: readonly ChainUpgrade[];
    }
  | {
      readonly ok: false;
      /** The first event that does not verify. */
      readonly position: number;
      readonly ciId: string | null;
      readonly reason: string;
      readonly events: number;
    };

/**
 * Recomputes the hash chain over the whole log, oldest first, and names the
 * first event that does not verify: its content no longer matches its hash
 * (edited), or it does not follow its predecessor (an event deleted,
 * inserted or moved before it). On a global chain the recorded head must be
 * the last event, so a log cut short is caught too.
 */
export async function verifyLog(
  store: EventStore,
  options: {
    pageSize?: number;
    onProgress?: (events: number) => void;
    /** The key chain checkpoints are signed with (PEM); per-stream chains are checked against the newest. */
    checkpointKey?: string;
  } = {},
): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 1000;
  const global = store.chainScope === 'global';
  const previousByStream = new Map<string, string>();
  const headsByStream: StreamHeads = new Map();
  // A per-stream chain cannot show its own tail cut off: the newest signed checkpoint of all heads can.
  let checkpoint = global ? undefined : await latestCheckpoint(store);
  if (checkpoint && options.checkpointKey && !checkpointSignatureValid(checkpoint, options.checkpointKey)) {
    return {
      ok: false,
      position: checkpoint.position,
      ciId: null,
      reason: 'the newest chain checkpoint is not signed by this service: the checkpoint stream was written behind it',
      events: 0,
    };
  }
  const compareCheckpoint = (): VerifyResult | undefined => {
    if (!checkpoint) return undefined;
    const at = checkpoint;
    checkpoint = undefined;
    if (headsByStream.size === at.streams && headsDigest(headsByStream) === at.digest) return undefined;
    return {
      ok: false,
      position: at.position,
      ciId: null,
      reason:
        `the stream heads at position ${at.position} do not match the checkpoint signed at ${at.signedAt}: ` +
        'events recorded before it were deleted (the end of a stream cut off) or changed',
      events,
    };
  };
  let previous = GENESIS_HASH;
  let last: RecordedEvent | undefined;
  let events = 0;
  const failure = (event: RecordedEvent, reason: string): VerifyResult => ({
    ok: false,
    position: event.position,
    ciId: ciIdFromStream(event.streamName) ?? null,
    reason,
    events,
  });

  for (let after = 0; ;) {
    const page = await store.readAll(after, pageSize);
    for (const event of page) {
      if (checkpoint && event.position > checkpoint.position) {
        const mismatch = compareCheckpoint();
        if (mismatch) return mismatch;
      }
      if (!event.chain)
        return failure(event, 'it has no hash: it was added without the service, or the log was never chained');
      const expectedPrev = global ? previous : (previousByStream.get(event.streamName) ?? GENESIS_HASH);
      if (event.chain.prevHash !== expectedPrev) {
        return failure(
          event,
          `it does not follow the ${global ? 'event before it in the log' : 'previous event of its stream'}: ` +
            'an event was deleted, inserted or moved before it',
        );
      }
      if (chainHash(event.chain.prevHash, event) !== event.chain.hash) {
        return failure(event, 'its content does not match its hash: it was changed after it was recorded');
      }
      previous = event.chain.hash;
      previousByStream.set(event.streamName, event.chain.hash);
      headsByStream.set(event.streamName, { revision: event.revision, hash: event.chain.hash });
      last = event;
      events += 1;
    }
    options.onProgress?.(events);
    if (page.length < pageSize) break;
    await setImmediate(); // between pages, let requests in: a long log must not hold the event loop
    after = page.at(-1)!.position;
  }

  const mismatch = compareCheckpoint();
  if (mismatch) return mismatch;
  if (global && store.chainHead) {
    const head = await store.chainHead();
    const lastPosition = last?.position ?? 0;
    if ((head?.position ?? 0) !== lastPosition || (head && head.hash !== previous)) {
      return {
        ok: false,
        position: head?.position ?? lastPosition,
        ciId: null,
        reason:
          `the log ends at position ${lastPosition} but its recorded head is position ${head?.position ?? 0}: ` +
          'events were deleted from its end, or added behind the service',
        events,
      };
    }
  }
  return {
    ok: true,
    events,
    head: last ? { position: last.position, hash: previous } : null,
    chain: store.chainScope,
    upgrades: (await store.chainUpgrades?.()) ?? [],
  };
}

/**
 * The CI log verified, then the catalogue log (CI types, baselines): the
 * answer is the CI log's, with the catalogue's result beside it; a catalogue
 * that does not verify makes the whole answer a failure that says so.
 */
export async function verifyLogs(
  logs: { readonly events: EventStore; readonly catalogue: EventStore },
  options: Parameters<typeof verifyLog>[1] = {},
): Promise<VerifyResult & { readonly catalogue?: VerifyResult }> {
  const events = await verifyLog(logs.events, options);
  if (!events.ok) return events;
  const catalogue = await verifyLog(logs.catalogue, { ...(options.pageSize && { pageSize: options.pageSize }) });
  if (catalogue.ok) return { ...events, catalogue };
  return { ...catalogue, reason: `the catalogue log (CI types, baselines): ${catalogue.reason}`, catalogue };
}
