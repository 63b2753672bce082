import type { ChangeMetadata, CiDocument, CiEventType, CiStatus } from '../domain';

/** A change about to be appended: what the policy sees. */
export interface ProposedChange {
  readonly ciId: string;
  readonly eventType: CiEventType;
  /** The CI before the change; undefined for a registration. */
  readonly before: CiDocument | undefined;
  readonly after: CiDocument;
  readonly metadata: ChangeMetadata;
}

/**
 * Decides whether a change may be recorded. Rejects with ChangeRefusedError
 * (422, nothing appended); any other rejection counts as a refusal too: the
 * check fails closed.
 */
export interface ChangePolicy {
  check(change: ProposedChange): Promise<void>;
}

export class ChangeRefusedError extends Error {
  constructor(
    /** The request field to fix, e.g. `X-Change-Ref`. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ChangeRefRules {
  /** Every change reference must match it, whole. */
  readonly pattern?: RegExp | undefined;
  /** CIs in these statuses (before or after the change) may not change without a change reference. */
  readonly requiredFor: readonly CiStatus[];
}

/** CHANGE_REF_PATTERN and CHANGE_REF_REQUIRED. */
export function changeRefPolicy(rules: ChangeRefRules): ChangePolicy {
  const whole = rules.pattern && new RegExp(`^(?:${rules.pattern.source})$`, rules.pattern.flags);
  return {
    async check({ ciId, before, after, metadata }) {
      const { changeRef } = metadata;
      if (changeRef === null) {
        const status = [before?.status, after.status].find((s) => s !== undefined && rules.requiredFor.includes(s));
        if (status) {
          throw new ChangeRefusedError(
            'X-Change-Ref',
            `CI "${ciId}" is ${status}: changes to ${rules.requiredFor.join(' or ')} CIs need a change reference; ` +
              'send X-Change-Ref (or changeRef in the body) with the approved ticket',
          );
        }
      } else if (whole && !whole.test(changeRef)) {
        throw new ChangeRefusedError(
          'X-Change-Ref',
          `"${changeRef}" is not a change reference of this organisation (must match ${rules.pattern!.source})`,
        );
      }
    },
  };
}

/** Every policy in turn; the first refusal wins. */
export function allPolicies(policies: readonly ChangePolicy[]): ChangePolicy {
  return {
    async check(change) {
      for (const policy of policies) await policy.check(change);
    },
  };
}
