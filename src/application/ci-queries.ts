import {
  changeFeedQueries,
  ciVersionQueries,
  currentCiQueries,
  type ChangeFeedEntry,
  type ChangeQuery,
  type CiJsonMembers,
  type CiListQuery,
  type CiVersion,
  type CurrentCi,
} from '../../projections';
import {
  changeRecord,
  ciStreamName,
  diffDocuments,
  HistoryPointNotFoundError,
  type ChangeRecord,
  type JsonPatch,
} from '../domain';
import type { ViewReader } from '../ports/view-store';
import { toRecordedCiEvent } from './ci-event-codec';
import type { CiSnapshot } from './ci-command-handler';
import { ViewsWait, type ViewsWaitDeps } from './views-wait';
import { describePoint, type HistoryPoint } from './history-point';

/** A CI snapshot whose members are JSON texts, as the views store them (ViewReader.findJson). */
export interface CiSnapshotJson {
  readonly ciId: string;
  readonly revision: string;
  readonly recordedAt: string;
  readonly document: string;
}

export type HistoryEntry = Omit<ChangeRecord, 'position' | 'ciId' | 'ciType'>;

export interface CiQueriesDeps extends ViewsWaitDeps {
  readonly viewStore: ViewReader;
}

/**
 * The read side. Single-CI reads first look up the CI's latest position in
 * the log (one indexed read) and wait until the views have applied it, so a
 * read that follows a write always reflects it. Point-in-time reads are index
 * lookups in the ciVersions view; history is read from the log itself.
 */
export class CiQueries {
  private readonly wait: ViewsWait;

  constructor(private readonly deps: CiQueriesDeps) {
    this.wait = new ViewsWait(deps);
  }

  async current(ciId: string): Promise<CiSnapshot | undefined> {
    if (!(await this.wait.forCi(ciId))) return undefined;
    const current = await currentCiQueries.get(this.deps.viewStore, ciId);
    return current && fromCurrent(current);
  }

  /** The CI at a revision or instant; undefined if it did not exist then (or at all). */
  async at(ciId: string, point: HistoryPoint): Promise<CiSnapshot | undefined> {
    if (!(await this.wait.forCi(ciId))) return undefined;
    const version = await this.versionAt(ciId, point);
    return version && fromVersion(version);
  }

  /** As current, the CI as the JSON texts the views hold (GET /cis/{id} answers without parsing its document). */
  async currentJson(ciId: string): Promise<CiSnapshotJson | undefined> {
    if (!(await this.wait.forCi(ciId))) return undefined;
    const found = await currentCiQueries.getJson(this.deps.viewStore, ciId);
    return found && snapshotJson(found);
  }

  /** As at, the CI as the JSON texts the views hold. */
  async atJson(ciId: string, point: HistoryPoint): Promise<CiSnapshotJson | undefined> {
    if (!(await this.wait.forCi(ciId))) return undefined;
    const views = this.deps.viewStore;
    const found =
      'revision' in point
        ? await ciVersionQueries.byRevisionJson(views, ciId, point.revision)
        : await ciVersionQueries.atJson(views, ciId, point.asOf);
    return found && snapshotJson(found);
  }

  async list(query: CiListQuery, asOf: number | undefined, minPosition: number | undefined): Promise<CiSnapshot[]> {
    await this.wait.forMinPosition(minPosition);
    const views = this.deps.viewStore;
    if (asOf === undefined) return (await currentCiQueries.list(views, query)).map(fromCurrent);
    return (await ciVersionQueries.listAt(views, asOf, query)).map(fromVersion);
  }

  /** As list, each CI as the JSON texts the views hold (an inventory page is passed on without parsing it). */
  async listJson(
    query: CiListQuery,
    asOf: number | undefined,
    minPosition: number | undefined,
  ): Promise<CiSnapshotJson[]> {
    await this.wait.forMinPosition(minPosition);
    const views = this.deps.viewStore;
    const found =
      asOf === undefined
        ? await currentCiQueries.listJson(views, query)
        : await ciVersionQueries.listAtJson(views, asOf, query);
    return found.map(snapshotJson);
  }

  /**
   * A page of changes, oldest first, after `afterRevision`, read from the log
   * (each entry needs only its own event); undefined for an unknown CI.
   */
  async history(
    ciId: string,
    page: { afterRevision: number; limit: number },
  ): Promise<{ items: HistoryEntry[]; revision: number } | undefined> {
    const stream = ciStreamName(ciId);
    const read = (toRevision: number) =>
      this.deps.eventStore.readStream(stream, { fromRevision: page.afterRevision + 1, toRevision });
    const pageEnd = page.afterRevision + page.limit;
    let raw = await read(pageEnd);
    // A page that is not full ends at the stream's head, read in the same statement: that is its ETag.
    let revision = raw.length < page.limit ? raw.at(-1)?.revision : undefined;
    if (revision === undefined) {
      // A full page, or none: the head is read after it. A full page holds a past that cannot change,
      // so it is the page as of that head too; an empty one is read again if the CI has grown since.
      const head = await this.deps.eventStore.streamHead(stream);
      if (!head) return undefined;
      if (raw.length === 0 && head.revision > page.afterRevision) raw = await read(Math.min(head.revision, pageEnd));
      revision = head.revision;
    }
    const items = raw.map(toRecordedCiEvent).map((event): HistoryEntry => {
      // History is one CI's: its id, type and log position are the page's context, not the entry's.
      const { position: _position, ciId: _ciId, ciType: _ciType, ...entry } = changeRecord(event, '');
      return entry;
    });
    return { items, revision };
  }

  /** The patch between two points (`to` defaults to the current revision); undefined for an unknown CI. */
  async diff(
    ciId: string,
    from: HistoryPoint,
    to: HistoryPoint | undefined,
  ): Promise<{ from: CiSnapshot; to: CiSnapshot; patch: JsonPatch } | undefined> {
    const head = await this.wait.forCi(ciId);
    if (!head) return undefined;
    const [fromCi, toCi] = await Promise.all([
      this.requireAt(ciId, from, 'from'),
      this.requireAt(ciId, to ?? { revision: head.revision }, 'to'),
    ]);
    return { from: fromCi, to: toCi, patch: diffDocuments(fromCi.document, toCi.document) };
  }

  async changes(query: ChangeQuery, minPosition: number | undefined): Promise<ChangeFeedEntry[]> {
    await this.wait.forMinPosition(minPosition);
    return changeFeedQueries.list(this.deps.viewStore, query);
  }

  /** Changes after a position, oldest first: the source of live streams and replays. */
  async changesAfter(
    position: number,
    filter: Pick<ChangeQuery, 'ciId' | 'ciType' | 'since'>,
    limit: number,
  ): Promise<ChangeFeedEntry[]> {
    return changeFeedQueries.list(this.deps.viewStore, {
      ...filter,
      order: 'oldest-first',
      afterPosition: position,
      limit,
    });
  }

  /** The log position the views have applied. */
  viewsPosition(): number {
    return this.deps.progress.currentPosition();
  }

  /** Resolves true once the views have applied `position`, false after `timeoutMs` or when `signal` aborts. */
  waitForViews(position: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.deps.progress.waitForPosition(position, timeoutMs, signal);
  }

  private versionAt(ciId: string, point: HistoryPoint): Promise<CiVersion | undefined> {
    const views = this.deps.viewStore;
    return 'revision' in point
      ? ciVersionQueries.byRevision(views, ciId, point.revision)
      : ciVersionQueries.at(views, ciId, point.asOf);
  }

  private async requireAt(ciId: string, point: HistoryPoint, field: string): Promise<CiSnapshot> {
    const version = await this.versionAt(ciId, point);
    if (!version) {
      throw new HistoryPointNotFoundError(ciId, field, `CI "${ciId}" has no state at ${field}=${describePoint(point)}`);
    }
    return fromVersion(version);
  }
}

function snapshotJson([ciId, revision, recordedAt, document]: CiJsonMembers): CiSnapshotJson {
  return { ciId, revision, recordedAt, document };
}

function fromCurrent(current: CurrentCi): CiSnapshot {
  return { ciId: current.ciId, revision: current.revision, recordedAt: current.recordedAt, document: current.document };
}

function fromVersion(version: CiVersion): CiSnapshot {
  return { ciId: version.ciId, revision: version.revision, recordedAt: version.validFrom, document: version.document };
}
