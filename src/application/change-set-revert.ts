import { changeFeedQueries } from '../../projections/change-feed';
import {
  ChangeSetNotFoundError,
  ciStreamName,
  planRevert,
  type ChangeMetadata,
  type FieldIssue,
  type JsonPatch,
  type RevertAction,
  type RevertConflict,
} from '../domain';
import type { EventStore } from '../ports/event-store';
import type { ViewReader } from '../ports/view-store';
import { toRecordedCiEvent } from './ci-event-codec';
import type { CiCommandHandler } from './ci-command-handler';
import { refusalIssues } from './refusals';
import { BatchInterruptedError, PreconditionFailedError } from './errors';
import type { ViewsWait } from './views-wait';

export type RevertOutcome = RevertAction | 'reverted' | 'retired' | 'refused' | 'changed-concurrently';

export interface RevertItem {
  readonly ciId: string;
  /** Dry run: what would be done. Otherwise: what was done (`reverted`, `retired`) or why not. */
  readonly outcome: RevertOutcome;
  readonly fields: readonly string[];
  readonly patch: JsonPatch;
  readonly conflicts: readonly RevertConflict[];
  /** The CI's revision after the revert (or as it stands, when nothing was written). */
  readonly revision: number;
  /** Why the CI's rules refused the revert (schema, lifecycle, change policy). */
  readonly issues?: readonly FieldIssue[];
}

export interface RevertRequest {
  readonly changeRef: string;
  readonly dryRun: boolean;
  readonly force: boolean;
  /** Who, why, and the new change reference the reverts are recorded under (source `revert`). */
  readonly metadata: ChangeMetadata & { readonly changeRef: string };
}

export interface ChangeSetRevertDeps {
  readonly eventStore: EventStore;
  readonly viewStore: ViewReader;
  readonly wait: ViewsWait;
  readonly commands: CiCommandHandler;
}

/**
 * POST /change-sets/{changeRef}/revert: finds every CI changed under the
 * reference (the change feed, once the views hold the whole log), plans each
 * CI's revert from its own stream (exact, see planRevert), and on a real run
 * writes one event per CI, pinned to the revision it was planned on.
 */
export class ChangeSetReverter {
  constructor(private readonly deps: ChangeSetRevertDeps) {}

  async revert(request: RevertRequest): Promise<RevertItem[]> {
    const ciIds = await this.touchedCis(request.changeRef);
    if (ciIds.length === 0) throw new ChangeSetNotFoundError(request.changeRef);
    const options = { changeRef: request.changeRef, revertRef: request.metadata.changeRef, force: request.force };
    const items: RevertItem[] = [];
    for (const [index, ciId] of ciIds.entries()) {
      const history = (await this.deps.eventStore.readStream(ciStreamName(ciId))).map(toRecordedCiEvent);
      const plan = planRevert(ciId, history, options);
      const planned: RevertItem = {
        ciId,
        outcome: plan.action,
        fields: plan.fields,
        patch: plan.patch,
        conflicts: plan.conflicts,
        revision: plan.revision,
      };
      if (request.dryRun || !plan.target) {
        items.push(planned);
        continue;
      }
      try {
        const outcome = await this.deps.commands.execute(
          plan.action === 'retire' ? { type: 'RetireCi', ciId } : { type: 'DeclareCi', ciId, desired: plan.target },
          { metadata: request.metadata, ifMatch: [plan.revision] },
        );
        items.push({
          ...planned,
          outcome: plan.action === 'retire' ? 'retired' : 'reverted',
          revision: outcome.ci.revision,
        });
      } catch (error) {
        const refused = refusalIssues(error);
        if (refused) items.push({ ...planned, outcome: 'refused', issues: refused });
        else if (error instanceof PreconditionFailedError) items.push({ ...planned, outcome: 'changed-concurrently' });
        else throw new BatchInterruptedError('revert', items, ciIds.slice(index), error);
      }
    }
    return items;
  }

  /** The CIs with a change under `changeRef`, in id order, once the views hold everything appended so far. */
  private async touchedCis(changeRef: string): Promise<string[]> {
    await this.deps.wait.forPosition(await this.deps.eventStore.headPosition());
    const ciIds = new Set<string>();
    for (let after = 0; ;) {
      const page = await changeFeedQueries.list(this.deps.viewStore, {
        changeRef,
        order: 'oldest-first',
        afterPosition: after,
        limit: 1000,
      });
      for (const entry of page) ciIds.add(entry.ciId);
      if (page.length < 1000) break;
      after = page.at(-1)!.position;
    }
    return [...ciIds].sort();
  }
}
