import type { CiStatus, JsonPatch, RecordedCiEvent, Relationship } from '../src/domain';
import { applyDocumentPatch, canonicalRelationships, type CiDocument } from '../src/domain';
import { asOfIndex, type TemporalDoc, type ViewReader } from '../src/ports/view-store';
import type { ProjectionDefinition } from './projection';
import { versionWrites, type VersionBody } from './versions';

/**
 * The relationship graph in recorded time, in two kinds of version:
 *
 * - a node per CI, keyed by the CI: its type, status and outgoing
 *   relationships, versioned whenever any of them changes. "What does X
 *   depend on, as of T" is one lookup of X's node; the node also says
 *   whether the CI existed at T and whether it was retired.
 * - an edge per relationship, keyed by its endpoints (source, type, target),
 *   open while the source holds it. "Who depends on X, as of T" is one range
 *   read of the `graph_incoming` index, where a scan of every CI was needed.
 *
 * Both are written by the source CI's events (the partition), so the
 * relationships are never read from another CI.
 */
export interface GraphNode extends TemporalDoc {
  readonly kind: 'ci';
  readonly ciId: string;
  readonly ciType: string;
  readonly status: CiStatus;
  /** Outgoing, in canonical order (type, then target). */
  readonly relationships: readonly Relationship[];
}

export interface GraphEdge extends TemporalDoc {
  readonly kind: 'edge';
  readonly source: string;
  readonly type: string;
  readonly target: string;
}

export type GraphDoc = GraphNode | GraphEdge;

/** CI ids and relationship types hold no spaces, so an edge key never equals a CI id. */
function keyOf(doc: VersionBody<GraphDoc>): string {
  return doc.kind === 'ci' ? doc.ciId : `${doc.source} ${doc.type} ${doc.target}`;
}

/** What an edge is, without its validity: its source, type and target. */
export type EdgeEnds = Pick<GraphEdge, 'source' | 'type' | 'target'>;

/** An edge's ends, from its key (keyOf), without its stored document. */
export function edgeOfKey(key: string): EdgeEnds {
  const [source, type, target, extra] = key.split(' ');
  if (source === undefined || type === undefined || target === undefined || extra !== undefined)
    throw new Error(`graph: "${key}" is not an edge's key`);
  return { source, type, target };
}

/** The part of a CI document the graph keeps, after an event. */
type GraphPart = Pick<CiDocument, 'type' | 'status' | 'relationships'>;

/** The graph's part of the CI after the event; undefined where the event leaves it as it was. */
function graphPartAfter(node: GraphNode | undefined, recorded: RecordedCiEvent): GraphPart | undefined {
  const { event } = recorded;
  if (event.type === 'CiRegistered') return event.data.document;
  if (!node) throw new Error(`graph: ${event.type} of ${recorded.ciId} before its registration`);
  const ops: JsonPatch = event.data.patch.filter(
    (op) =>
      op.path === '/type' ||
      op.path === '/status' ||
      op.path === '/relationships' ||
      op.path.startsWith('/relationships/'),
  );
  if (ops.length === 0) return undefined;
  const before: GraphPart = { type: node.ciType, status: node.status, relationships: [...node.relationships] };
  return applyDocumentPatch(before as CiDocument, ops) as GraphPart;
}

export const graphProjection: ProjectionDefinition<GraphDoc> = {
  name: 'graph',
  version: 1,
  kind: 'temporal',
  keyType: 'text',
  key: keyOf,
  partition: (doc) => (doc.kind === 'ci' ? doc.ciId : doc.source),
  fields: {
    target: { type: 'text', of: (doc) => (doc.kind === 'edge' ? doc.target : null) },
  },
  // validTo too: an edge closed before T is passed over in the index, without reading its row. And
  // the key: the edges into a CI are read from the index alone (findKeys), no row and no document.
  indexes: [{ name: 'graph_incoming', fields: ['target', 'validFrom', 'validTo', 'key'] }],
  handles: ['CiRegistered', 'CiChanged', 'CiRetired', 'CiRestored'],
  project(open, recorded) {
    const node = open.find((doc): doc is GraphNode => doc.kind === 'ci');
    const part = graphPartAfter(node, recorded);
    // Most changes touch attributes only: the node and its edges stay open as they are, and there is
    // nothing to compare (building them again to find no difference was about a tenth of a rebuild's projecting).
    if (!part) return [];
    const relationships = canonicalRelationships(part.relationships);
    const next: VersionBody<GraphDoc>[] = [
      { kind: 'ci', ciId: recorded.ciId, ciType: part.type, status: part.status, relationships },
      ...relationships.map((r) => ({ kind: 'edge' as const, source: recorded.ciId, type: r.type, target: r.target })),
    ];
    return versionWrites<GraphDoc>(keyOf, open, next, recorded);
  },
};

const VIEW = graphProjection.name;
/** Values per query: one statement or request per chunk of a large frontier. */
const CHUNK = 1000;
/** The most edges one lookup returns (a CI with more incoming edges is reported as truncated). */
export const MAX_EDGES_PER_LOOKUP = 100_000;

export const graphQueries = {
  /** The nodes of the CIs that existed at `at` (ms since the epoch), by CI id. */
  async nodesAt(views: ViewReader, ciIds: readonly string[], at: number): Promise<Map<string, GraphNode>> {
    const nodes = new Map<string, GraphNode>();
    for (const chunk of chunks([...new Set(ciIds)])) {
      const found = await views.find<GraphNode>(VIEW, {
        where: [{ field: 'key', op: 'in', values: chunk }],
        asOf: at,
        limit: chunk.length,
        index: asOfIndex(VIEW),
      });
      for (const node of found) nodes.set(node.ciId, node);
    }
    return nodes;
  },

  /**
   * The edges into any of the CIs, as they stood at `at`: their keys, which
   * say all an edge is, read from `graph_incoming` alone. Reading each
   * edge's row and parsing its document took most of the lookup.
   */
  async incomingAt(views: ViewReader, ciIds: readonly string[], at: number): Promise<EdgeEnds[]> {
    const edges: EdgeEnds[] = [];
    for (const chunk of chunks([...new Set(ciIds)])) {
      const keys = await views.findKeys(VIEW, {
        where: [{ field: 'target', op: 'in', values: chunk }],
        asOf: at,
        limit: MAX_EDGES_PER_LOOKUP,
        index: 'graph_incoming',
      });
      for (const key of keys) edges.push(edgeOfKey(String(key)));
    }
    return edges;
  },
};

function* chunks<T>(values: readonly T[]): Generator<T[]> {
  for (let i = 0; i < values.length; i += CHUNK) yield values.slice(i, i + CHUNK);
}
