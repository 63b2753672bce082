import { ChangeRefusedError, type ChangePolicy } from '../../application/change-policy';

export interface HttpApprovalOptions {
  readonly url: string;
  readonly timeoutMs: number;
}

/**
 * Asks an ITSM endpoint whether a change is approved: POST
 * `{changeRef, ciId, eventType, actor, onBehalfOf, status}` as JSON; only a
 * 2xx answer with `{"approved": true}` lets it through. Anything else — a
 * refusal, another status, a body that is not that, no answer within the
 * timeout, a network error — refuses the change (fails closed).
 */
export function httpApprovalPolicy(options: HttpApprovalOptions): ChangePolicy {
  return {
    async check({ ciId, eventType, after, metadata }) {
      if (metadata.changeRef === null) {
        throw new ChangeRefusedError('X-Change-Ref', 'changes need an approved change reference; send X-Change-Ref');
      }
      let answer: Response;
      try {
        answer = await fetch(options.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({
            changeRef: metadata.changeRef,
            ciId,
            eventType,
            actor: metadata.actor,
            onBehalfOf: metadata.onBehalfOf ?? null,
            status: after.status,
          }),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        const why =
          (error as Error).name === 'TimeoutError'
            ? `did not answer within ${options.timeoutMs} ms`
            : `could not be reached (${(error as Error).message})`;
        throw new ChangeRefusedError(
          'X-Change-Ref',
          `the approval check ${why}; the change is refused until it can confirm ${metadata.changeRef}`,
        );
      }
      const body = (await answer.json().catch(() => undefined)) as { approved?: unknown; reason?: unknown } | undefined;
      if (answer.ok && body?.approved === true) return;
      const reason = typeof body?.reason === 'string' ? `: ${body.reason}` : ` (HTTP ${answer.status})`;
      throw new ChangeRefusedError(
        'X-Change-Ref',
        `change ${metadata.changeRef} is not approved for CI "${ciId}"${reason}`,
      );
    },
  };
}
