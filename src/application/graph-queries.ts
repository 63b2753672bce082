import { graphQueries, MAX_EDGES_PER_LOOKUP, type EdgeEnds, type GraphNode } from '../../projections';
import type { ViewReader } from '../ports/view-store';
import { GraphTooWideError } from './errors';
import { ViewsWait, type ViewsWaitDeps } from './views-wait';

export type EdgeDirection = 'out' | 'in' | 'both';
export type ImpactDirection = 'dependents' | 'dependencies';

export interface Edge {
  readonly source: string;
  readonly type: string;
  readonly target: string;
  /** The other end did not exist at that instant. */
  readonly missing?: true;
}

export interface ImpactQuery {
  /** ms since the epoch; undefined: now. */
  readonly asOf: number | undefined;
  readonly direction: ImpactDirection;
  /** 1–10. */
  readonly depth: number;
  /** Relationship types to follow; all when undefined. */
  readonly types: readonly string[] | undefined;
  readonly includeRetired: boolean;
  /** The most CIs reported; the answer says whether more were reachable. */
  readonly limit: number;
}

export interface ImpactItem {
  readonly ciId: string;
  readonly depth: number;
  /** CI ids from the root to this CI, both included: a shortest path. */
  readonly path: readonly string[];
  /** The relationship type of each step of the path. */
  readonly via: readonly string[];
  /** The CI did not exist at that instant (a dangling relationship); nothing is reached through it. */
  readonly missing?: true;
}

export interface Impact {
  readonly root: string;
  readonly items: ImpactItem[];
  /** More CIs were reachable than `limit`. */
  readonly truncated: boolean;
}

export interface GraphQueriesDeps extends ViewsWaitDeps {
  readonly viewStore: ViewReader;
}

/** The latest instant a Date (and BSON) can hold: "as of now" with no clock to disagree with the log's. */
const NOW = 8_640_000_000_000_000;

/**
 * The relationship graph as of any instant, from the graph view: the edges
 * around a CI, and what is reached from it breadth-first (who depends on it,
 * or what it depends on). One query per level of the walk, whatever the
 * number of CIs on it.
 */
export class GraphQueries {
  private readonly wait: ViewsWait;

  constructor(private readonly deps: GraphQueriesDeps) {
    this.wait = new ViewsWait(deps);
  }

  /** Undefined for a CI that did not exist at `asOf` (or at all). */
  async relationships(ciId: string, asOf: number | undefined, direction: EdgeDirection): Promise<Edge[] | undefined> {
    let root: GraphNode | undefined;
    if (direction === 'in' && asOf === undefined) {
      // CIs are never deleted: one with a stream exists now, and only its incoming edges are asked for.
      if (!(await this.wait.forCi(ciId))) return undefined;
    } else {
      root = await this.rootAt(ciId, asOf);
      if (!root) return undefined;
    }
    const at = asOf ?? NOW;
    const items: Edge[] = [];
    if (root && direction !== 'in') {
      const targets = await graphQueries.nodesAt(
        this.deps.viewStore,
        root.relationships.map((r) => r.target),
        at,
      );
      for (const { type, target } of root.relationships) {
        items.push({ source: ciId, type, target, ...(targets.has(target) ? {} : { missing: true as const }) });
      }
    }
    if (direction !== 'out') {
      const incoming = await graphQueries.incomingAt(this.deps.viewStore, [ciId], at);
      if (incoming.length >= MAX_EDGES_PER_LOOKUP) {
        throw new GraphTooWideError(
          'direction',
          `more than ${MAX_EDGES_PER_LOOKUP} relationships point to CI "${ciId}"; ask for direction=out, ` +
            'or walk its dependents with GET /cis/{id}/impact?types=',
        );
      }
      items.push(...incoming.sort(byTypeThenSource));
    }
    return items;
  }

  /**
   * Breadth-first from the root: each CI once, at its shortest distance,
   * with the first shortest path found (edges taken in (type, CI) order).
   * A retired CI is left out with its edges unless `includeRetired`; a
   * missing one is reported and not walked through.
   */
  /** Undefined for a CI that did not exist at `asOf` (or at all). */
  async impact(ciId: string, query: ImpactQuery): Promise<Impact | undefined> {
    const root = await this.rootAt(ciId, query.asOf);
    if (!root) return undefined;
    const at = query.asOf ?? NOW;
    const follows = (type: string) => query.types === undefined || query.types.includes(type);
    const reached = new Map<string, ImpactItem>([[ciId, { ciId, depth: 0, path: [ciId], via: [] }]]);
    const items: ImpactItem[] = [];
    let frontier: GraphNode[] = [root];
    let truncated = false;
    for (let depth = 1; depth <= query.depth && frontier.length > 0 && !truncated; depth++) {
      const steps = await this.steps(frontier, query.direction, at);
      const found: { from: ImpactItem; type: string; ciId: string }[] = [];
      for (const step of steps) {
        if (!follows(step.type) || reached.has(step.ciId)) continue;
        const from = reached.get(step.from)!;
        const item: ImpactItem = {
          ciId: step.ciId,
          depth,
          path: [...from.path, step.ciId],
          via: [...from.via, step.type],
        };
        reached.set(step.ciId, item);
        found.push({ from, type: step.type, ciId: step.ciId });
      }
      const nodes = await graphQueries.nodesAt(
        this.deps.viewStore,
        found.map((f) => f.ciId),
        at,
      );
      frontier = [];
      for (const { ciId: id } of found) {
        const node = nodes.get(id);
        const item = reached.get(id)!;
        if (node && node.status === 'retired' && !query.includeRetired) continue;
        if (items.length === query.limit) {
          truncated = true;
          break;
        }
        items.push(node ? item : { ...item, missing: true });
        if (node) frontier.push(node);
      }
    }
    return { root: ciId, items, truncated };
  }

  /** The next steps from each CI of the frontier, in frontier order, then (type, CI) order. */
  private async steps(
    frontier: readonly GraphNode[],
    direction: ImpactDirection,
    at: number,
  ): Promise<{ from: string; type: string; ciId: string }[]> {
    if (direction === 'dependencies') {
      return frontier.flatMap((node) =>
        node.relationships.map((r) => ({ from: node.ciId, type: r.type, ciId: r.target })),
      );
    }
    const incoming = await graphQueries.incomingAt(
      this.deps.viewStore,
      frontier.map((node) => node.ciId),
      at,
    );
    if (incoming.length >= MAX_EDGES_PER_LOOKUP) {
      throw new GraphTooWideError(
        'depth',
        `more than ${MAX_EDGES_PER_LOOKUP} relationships point into one level of the walk; ` +
          'narrow it with types= or a smaller depth=',
      );
    }
    const byTarget = new Map<string, EdgeEnds[]>();
    for (const edge of incoming) {
      const edges = byTarget.get(edge.target);
      if (edges) edges.push(edge);
      else byTarget.set(edge.target, [edge]);
    }
    return frontier.flatMap((node) =>
      (byTarget.get(node.ciId) ?? [])
        .sort(byTypeThenSource)
        .map((e) => ({ from: node.ciId, type: e.type, ciId: e.source })),
    );
  }

  /** The root's node at the instant (undefined if it did not exist then), once the views hold its latest write. */
  private async rootAt(ciId: string, asOf: number | undefined): Promise<GraphNode | undefined> {
    if (!(await this.wait.forCi(ciId))) return undefined;
    return (await graphQueries.nodesAt(this.deps.viewStore, [ciId], asOf ?? NOW)).get(ciId);
  }
}

function byTypeThenSource(a: EdgeEnds, b: EdgeEnds): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  return a.source < b.source ? -1 : a.source > b.source ? 1 : 0;
}
