import { ciVersionQueries } from '../../projections/ci-versions';
import { currentCiQueries, type CurrentCi } from '../../projections/current-cis';
import {
  BaselineExistsError,
  diffDocuments,
  type BaselineHeader,
  type BaselineMember,
  type BaselineSelector,
  type ChangeMetadata,
  type CiDocument,
  type FieldIssue,
  type JsonPatch,
} from '../domain';
import type { EventStore } from '../ports/event-store';
import type { ViewReader } from '../ports/view-store';
import type { BaselineCatalogue } from './baseline-catalogue';
import type { CiCommandHandler, CiSnapshot } from './ci-command-handler';
import { refusalIssues } from './refusals';
import { BatchInterruptedError, PositionBeyondLogError, PreconditionFailedError } from './errors';
import type { ViewsWait } from './views-wait';

/** Where a baseline stands, or what it is compared with. */
export type BaselinePoint = { readonly asOf: number } | { readonly position: number } | 'now';
export type DiffAgainst = BaselinePoint | { readonly baseline: string };

export interface BaselineDiffItem {
  readonly ciId: string;
  readonly change: 'added' | 'removed' | 'changed';
  /** From the baseline's state to the other side's (a removed CI that no longer exists: empty). */
  readonly patch: JsonPatch;
}

export type RestoreOutcome = 'restore' | 'restored' | 'not-in-baseline' | 'refused' | 'changed-concurrently';

export interface BaselineRestoreItem {
  readonly ciId: string;
  readonly outcome: RestoreOutcome;
  /** From the CI as it is to its state in the baseline: what the restore applies (or applied). */
  readonly patch: JsonPatch;
  readonly revision: number;
  readonly issues?: readonly FieldIssue[];
}

export interface BaselinesDeps {
  readonly eventStore: EventStore;
  readonly viewStore: ViewReader;
  readonly wait: ViewsWait;
  readonly catalogue: BaselineCatalogue;
  readonly commands: CiCommandHandler;
}

const PAGE = 1000;

/**
 * Baselines: take (resolve the point, select the CIs, record [id, revision]
 * pairs), read their frozen states, diff, restore. Every selection first
 * waits until the views hold the whole log, so "now" means everything
 * acknowledged before the request.
 */
export class Baselines {
  constructor(private readonly deps: BaselinesDeps) {}

  async take(request: {
    name: string;
    point: BaselinePoint;
    selector: BaselineSelector;
    metadata: ChangeMetadata;
  }): Promise<BaselineHeader> {
    const { catalogue } = this.deps;
    // Refused before any work; recording checks again, against a concurrent take of the same name.
    if (await catalogue.exists(request.name)) throw new BaselineExistsError(request.name);
    const head = await this.caughtUp();
    const members = await this.select(request.point, request.selector, head);
    const asOf = typeof request.point === 'object' && 'asOf' in request.point ? request.point.asOf : undefined;
    const position = typeof request.point === 'object' && 'position' in request.point ? request.point.position : head;
    return catalogue.record(
      {
        name: request.name,
        asOf: asOf === undefined ? null : new Date(asOf).toISOString(),
        position,
        selector: request.selector,
      },
      members,
      request.metadata,
    );
  }

  list(): Promise<BaselineHeader[]> {
    return this.deps.catalogue.list();
  }

  /** The frozen states, a page at a time, in CI id order. */
  async states(
    name: string,
    afterCiId: string | undefined,
    limit: number,
  ): Promise<{ header: BaselineHeader; items: CiSnapshot[]; more: boolean }> {
    const header = await this.deps.catalogue.get(name);
    const members = await this.deps.catalogue.members(header);
    const start = afterCiId === undefined ? 0 : firstAfter(members, afterCiId);
    const page = members.slice(start, start + limit);
    await this.caughtUp();
    const items: CiSnapshot[] = [];
    for (const [ciId, revision] of page) {
      const version = await ciVersionQueries.byRevision(this.deps.viewStore, ciId, revision);
      if (version) items.push({ ciId, revision, recordedAt: version.validFrom, document: version.document });
    }
    return { header, items, more: start + limit < members.length };
  }

  async diff(name: string, against: DiffAgainst): Promise<BaselineDiffItem[]> {
    const header = await this.deps.catalogue.get(name);
    const mine = await this.deps.catalogue.members(header);
    const head = await this.caughtUp();
    const theirs =
      typeof against === 'object' && 'baseline' in against
        ? await this.deps.catalogue.members(await this.deps.catalogue.get(against.baseline))
        : await this.select(against, header.selector, head);
    const theirRevisions = new Map(theirs);
    const items: BaselineDiffItem[] = [];
    for (const [ciId, revision] of mine) {
      const their = theirRevisions.get(ciId);
      theirRevisions.delete(ciId);
      if (their === revision) continue;
      const from = await this.document(ciId, revision);
      if (their !== undefined) {
        const patch = diffDocuments(from, await this.document(ciId, their));
        if (patch.length > 0) items.push({ ciId, change: 'changed', patch });
      } else {
        const there =
          typeof against === 'object' && 'baseline' in against ? undefined : await this.stateAt(ciId, against, head);
        items.push({ ciId, change: 'removed', patch: there ? diffDocuments(from, there) : [] });
      }
    }
    for (const [ciId, revision] of theirRevisions) {
      items.push({ ciId, change: 'added', patch: diffDocuments(undefined, await this.document(ciId, revision)) });
    }
    return items.sort((a, b) => (a.ciId < b.ciId ? -1 : a.ciId > b.ciId ? 1 : 0));
  }

  /**
   * One restore event per CI whose current state differs from the baseline
   * (pinned to the revision it was compared at), all with the same metadata;
   * CIs added since are reported and left alone. A re-run restores only what
   * still differs.
   */
  async restore(name: string, options: { dryRun: boolean; metadata: ChangeMetadata }): Promise<BaselineRestoreItem[]> {
    const header = await this.deps.catalogue.get(name);
    const members = new Map(await this.deps.catalogue.members(header));
    const differing = await this.diff(name, 'now');
    const items: BaselineRestoreItem[] = [];
    for (const [index, item] of differing.entries()) {
      const current = await currentCiQueries.get(this.deps.viewStore, item.ciId);
      const revision = members.get(item.ciId);
      if (revision === undefined || !current) {
        items.push({ ciId: item.ciId, outcome: 'not-in-baseline', patch: [], revision: current?.revision ?? 0 });
        continue;
      }
      const patch = diffDocuments(current.document, await this.document(item.ciId, revision));
      if (patch.length === 0) continue;
      const planned: BaselineRestoreItem = { ciId: item.ciId, outcome: 'restore', patch, revision: current.revision };
      if (options.dryRun) {
        items.push(planned);
        continue;
      }
      try {
        const outcome = await this.deps.commands.restore(item.ciId, { revision }, 'revision', {
          metadata: options.metadata,
          ifMatch: [current.revision],
        });
        items.push({ ...planned, outcome: 'restored', revision: outcome.ci.revision });
      } catch (error) {
        const refused = refusalIssues(error);
        if (refused) items.push({ ...planned, outcome: 'refused', issues: refused });
        else if (error instanceof PreconditionFailedError) items.push({ ...planned, outcome: 'changed-concurrently' });
        else
          throw new BatchInterruptedError(
            'restore',
            items,
            differing.slice(index).map((i) => i.ciId),
            error,
          );
      }
    }
    return items;
  }

  /** Waits until the views hold every event appended so far; returns that log position. */
  private async caughtUp(): Promise<number> {
    const head = await this.deps.eventStore.headPosition();
    await this.deps.wait.forPosition(head);
    return head;
  }

  /** The CIs the selector picks at the point, as [id, revision], in id order. */
  private async select(point: BaselinePoint, selector: BaselineSelector, head: number): Promise<BaselineMember[]> {
    if (typeof point === 'object' && 'position' in point && point.position > head) {
      throw new PositionBeyondLogError(point.position, head, 'position');
    }
    if (typeof point === 'object' && 'asOf' in point) return this.selectAsOf(point.asOf, selector);
    const position = point === 'now' ? head : point.position;
    const members: BaselineMember[] = [];
    const keep = async (ci: CurrentCi) => {
      // Written after the point: the CI's version as of the point, if it existed then.
      const at =
        ci.position <= position
          ? { revision: ci.revision, document: ci.document }
          : await ciVersionQueries.atPosition(this.deps.viewStore, ci.ciId, position);
      if (at && matches(at.document, selector)) members.push([ci.ciId, at.revision]);
    };
    if (selector.ids) {
      const found = await currentCiQueries.getMany(this.deps.viewStore, selector.ids);
      for (const ci of found.sort((a, b) => (a.ciId < b.ciId ? -1 : 1))) await keep(ci);
      return members;
    }
    for (let after: string | undefined; ;) {
      const page = await currentCiQueries.list(this.deps.viewStore, {
        includeRetired: true,
        afterCiId: after,
        limit: PAGE,
      });
      for (const ci of page) await keep(ci);
      if (page.length < PAGE) return members;
      after = page.at(-1)!.ciId;
    }
  }

  private async selectAsOf(asOf: number, selector: BaselineSelector): Promise<BaselineMember[]> {
    const members: BaselineMember[] = [];
    const ids = selector.ids && new Set(selector.ids);
    for (let after: string | undefined; ;) {
      const page = await ciVersionQueries.listAt(this.deps.viewStore, asOf, {
        type: selector.type,
        status: selector.status,
        includeRetired: true,
        afterCiId: after,
        limit: PAGE,
      });
      for (const version of page) if (!ids || ids.has(version.ciId)) members.push([version.ciId, version.revision]);
      if (page.length < PAGE) return members;
      after = page.at(-1)!.ciId;
    }
  }

  private async document(ciId: string, revision: number): Promise<CiDocument> {
    const version = await ciVersionQueries.byRevision(this.deps.viewStore, ciId, revision);
    if (!version)
      throw new Error(`CI "${ciId}" has no revision ${revision} in the views; rebuild them (npm run rebuild-views)`);
    return version.document;
  }

  /** A CI's state at the other side of a diff, whatever the selector says. */
  private async stateAt(ciId: string, point: BaselinePoint, head: number): Promise<CiDocument | undefined> {
    if (typeof point === 'object' && 'asOf' in point) {
      return (await ciVersionQueries.at(this.deps.viewStore, ciId, point.asOf))?.document;
    }
    const position = point === 'now' ? head : point.position;
    return (await ciVersionQueries.atPosition(this.deps.viewStore, ciId, position))?.document;
  }
}

function matches(document: CiDocument, selector: BaselineSelector): boolean {
  return (
    (selector.type === undefined || document.type === selector.type) &&
    (selector.status === undefined || document.status === selector.status)
  );
}

/** The index of the first member whose id sorts after `ciId` (members are in id order). */
function firstAfter(members: readonly BaselineMember[], ciId: string): number {
  let low = 0;
  let high = members.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (members[mid]![0] <= ciId) low = mid + 1;
    else high = mid;
  }
  return low;
}
