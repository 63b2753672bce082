import type { EventStore, RecordedEvent } from '../ports/event-store';
import type { Signer } from '../ports/signer';
import type { ChainLink } from '../ports/event-chain';
import { ciStreamName } from '../domain';
import type { CiQueries } from './ci-queries';
import type { CiSnapshot } from './ci-command-handler';
import { EVIDENCE_FORMAT, signedBytes, type EvidencePack } from './evidence-pack';
import { verifyLog } from './verify-log';

/** Signs packs: the service's key. */
export type EvidenceSigner = Signer;

export interface EvidenceRequest {
  readonly asOf: number;
  readonly ciId?: string | undefined;
  readonly type?: string | undefined;
}

/** The log did not verify, so no evidence can be made from it. */
export class LogDoesNotVerifyError extends Error {}

const PAGE = 1000;

/**
 * Makes a signed evidence pack: the chain is verified first (a pack is never
 * made from a log that does not verify), then the selected CIs' states as of
 * T are read from the views once they hold the verified head, and their
 * history up to T from the log.
 */
export async function makeEvidence(
  deps: { eventStore: EventStore; queries: CiQueries; signer: EvidenceSigner; now: () => Date },
  request: EvidenceRequest,
): Promise<EvidencePack> {
  const verified = await verifyLog(deps.eventStore);
  if (!verified.ok) {
    throw new LogDoesNotVerifyError(
      `the log does not verify at position ${verified.position} (${verified.reason}); no evidence can be made from it — see GET /api/v1/verify`,
    );
  }
  if (verified.head && !(await deps.queries.waitForViews(verified.head.position, 10_000))) {
    throw new LogDoesNotVerifyError('the views did not reach the verified log head in time; retry in a moment');
  }

  const cis: CiSnapshot[] = [];
  if (request.ciId !== undefined) {
    const ci = await deps.queries.at(request.ciId, { asOf: request.asOf });
    if (ci && (request.type === undefined || ci.document.type === request.type)) cis.push(ci);
  } else {
    for (let after: string | undefined; ;) {
      const page = await deps.queries.list(
        { type: request.type, includeRetired: true, afterCiId: after, limit: PAGE },
        request.asOf,
        undefined,
      );
      cis.push(...page);
      if (page.length < PAGE) break;
      after = page.at(-1)!.ciId;
    }
  }

  const events: Array<RecordedEvent & { chain: ChainLink }> = [];
  for (const ci of cis) {
    const history = await deps.eventStore.readStream(ciStreamName(ci.ciId), { toRevision: ci.revision });
    for (const event of history) {
      if (!event.chain) throw new LogDoesNotVerifyError(`event at position ${event.position} has no hash`);
      events.push(event as RecordedEvent & { chain: ChainLink });
    }
  }
  events.sort((a, b) => a.position - b.position);

  const unsigned: EvidencePack = {
    format: EVIDENCE_FORMAT,
    madeAt: deps.now().toISOString(),
    asOf: new Date(request.asOf).toISOString(),
    selector: { ciId: request.ciId ?? null, type: request.type ?? null },
    log: { chain: verified.chain, verifiedEvents: verified.events, head: verified.head },
    cis: cis.map((ci) => ({ id: ci.ciId, revision: ci.revision, recordedAt: ci.recordedAt, document: ci.document })),
    events,
    signature: { algorithm: 'Ed25519', keyId: deps.signer.keyId, publicKey: deps.signer.publicKeyPem, value: '' },
  };
  return { ...unsigned, signature: { ...unsigned.signature, value: deps.signer.sign(signedBytes(unsigned)) } };
}
