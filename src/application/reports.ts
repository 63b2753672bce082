import { ciVersionQueries } from '../../projections/ci-versions';
import { END_DATE_ATTRIBUTES, currentCiQueries, endDate, type CurrentCi } from '../../projections/current-cis';
import { END_DATE_KEYWORD, type CiStatus } from '../domain';
import type { EventStore } from '../ports/event-store';
import type { ViewReader } from '../ports/view-store';
import type { TypeCatalogue } from './type-catalogue';
import type { ViewsWait } from './views-wait';

export interface StatusCount {
  readonly type: string;
  readonly status: string;
  readonly count: number;
}

export interface Transition {
  readonly ciId: string;
  readonly type: string;
  readonly from: CiStatus;
  readonly to: CiStatus;
  readonly revision: number;
  readonly recordedAt: string;
}

export interface Renewal {
  readonly ciId: string;
  readonly type: string;
  readonly name: string;
  readonly status: CiStatus;
  /** What ends: `warranty`, `licence` or `support`. */
  readonly ends: string;
  readonly attribute: string;
  readonly date: string;
}

/** Where a page of renewals ends. */
export type RenewalKey = Pick<Renewal, 'date' | 'ciId' | 'attribute'>;
const PAGE = 1000;

/**
 * The configuration manager's reports, answered by the views (counted in
 * the store, found by index) once they hold every event appended before the
 * request.
 */
export class Reports {
  constructor(
    private readonly deps: {
      readonly eventStore: EventStore;
      readonly viewStore: ViewReader;
      readonly wait: ViewsWait;
      readonly types: TypeCatalogue;
    },
  ) {}

  /** How many CIs of each type are in each status, now or as of an instant; by type, then status. */
  async status(asOf: number | undefined): Promise<StatusCount[]> {
    await this.caughtUp();
    const rows = await this.deps.viewStore.count(asOf === undefined ? 'currentCis' : 'ciVersions', {
      ...(asOf !== undefined && { asOf }),
      groupBy: ['type', 'status'],
    });
    return rows
      .map((row) => ({ type: String(row.group[0]), status: String(row.group[1]), count: row.count }))
      .sort((a, b) => compare(a.type, b.type) || compare(a.status, b.status));
  }

  /** Status changes recorded in [since, until], oldest first, a page at a time after a keyset. */
  async transitions(
    since: number,
    until: number,
    after: { validFrom: number; ciId: string } | undefined,
    limit: number,
  ): Promise<{ items: Transition[]; more: boolean }> {
    await this.caughtUp();
    const found = await ciVersionQueries.transitions(this.deps.viewStore, {
      since,
      until,
      after,
      limit: limit + 1 + 64,
    });
    // The keyset is (validFrom, ciId): versions at the keyset's instant up to its CI were on the page before.
    const fresh = found.filter((v) => !after || Date.parse(v.validFrom) > after.validFrom || v.ciId > after.ciId);
    const items = fresh.slice(0, limit).map((version) => ({
      ciId: version.ciId,
      type: version.document.type,
      from: version.previousStatus!,
      to: version.document.status,
      revision: version.revision,
      recordedAt: version.validFrom,
    }));
    return { items, more: found.length > limit };
  }

  /**
   * CIs in service whose warranty, licence or support ends within the window
   * starting today: the attributes a CI's type marks `x-end-date`, and the
   * usual names (warrantyEnd, licenceEnd, supportEnd) on every CI. Soonest
   * first, in (date, CI id, attribute) order, a page at a time after a keyset.
   */
  async renewals(
    now: Date,
    withinMs: number,
    after: RenewalKey | undefined,
    limit: number,
  ): Promise<{ items: Renewal[]; more: boolean }> {
    await this.caughtUp();
    const from = now.toISOString().slice(0, 10);
    const to = new Date(now.getTime() + withinMs).toISOString();
    const found: Renewal[] = [];
    const add = (ci: CurrentCi, attribute: string, ends: string) => {
      const date = endDate(ci.document, attribute);
      if (date === null || date < from || date > to) return;
      if (ci.document.status === 'retired' || ci.document.status === 'disposed') return;
      const { type, name, status } = ci.document;
      const renewal = { ciId: ci.ciId, type, name, status, ends, attribute, date };
      if (!after || compareRenewals(renewal, after) > 0) found.push(renewal);
    };
    // Each usual name by its index: at most a page past the keyset each, merged below.
    for (const [attribute, ends] of Object.entries(END_DATE_ATTRIBUTES)) {
      const ending = await currentCiQueries.endingBetween(
        this.deps.viewStore,
        attribute as keyof typeof END_DATE_ATTRIBUTES,
        { from, to, after: after && { date: after.date, ciId: after.ciId } },
        limit + 1,
      );
      for (const ci of ending) add(ci, attribute, ends);
    }
    // Types may name their end dates otherwise: their CIs are read by type and looked at.
    for (const version of await this.deps.types.list()) {
      const named = endDateProperties(version.definition.schema).filter(([name]) => !(name in END_DATE_ATTRIBUTES));
      if (named.length === 0) continue;
      for (let afterCi: string | undefined; ;) {
        const page = await currentCiQueries.list(this.deps.viewStore, {
          type: version.type,
          includeRetired: false,
          afterCiId: afterCi,
          limit: PAGE,
        });
        for (const ci of page) for (const [attribute, ends] of named) add(ci, attribute, ends);
        if (page.length < PAGE) break;
        afterCi = page.at(-1)!.ciId;
      }
    }
    found.sort(compareRenewals);
    return { items: found.slice(0, limit), more: found.length > limit };
  }

  private async caughtUp(): Promise<void> {
    await this.deps.wait.forPosition(await this.deps.eventStore.headPosition());
  }
}

/** The top-level attribute properties a schema marks `x-end-date`, with what each is the end of. */
function endDateProperties(schema: Record<string, unknown>): [string, string][] {
  const properties = schema['properties'];
  if (typeof properties !== 'object' || properties === null) return [];
  return Object.entries(properties as Record<string, Record<string, unknown>>)
    .filter(([, sub]) => typeof sub === 'object' && sub !== null && typeof sub[END_DATE_KEYWORD] === 'string')
    .map(([name, sub]) => [name, String(sub[END_DATE_KEYWORD])]);
}

function compareRenewals(a: RenewalKey, b: RenewalKey): number {
  return compare(a.date, b.date) || compare(a.ciId, b.ciId) || compare(a.attribute, b.attribute);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
