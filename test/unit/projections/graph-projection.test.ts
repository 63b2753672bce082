import { graphProjection, type GraphDoc } from '../../../projections/graph';
import { ciDocument, type CiEvent, type RecordedCiEvent } from '../../../src/domain';

const registered = ciDocument({
  type: 'server',
  name: 'web-1',
  status: 'live',
  attributes: { kernel: '6.1.0' },
  relationships: [{ type: 'runs_on', target: 'host-1' }],
});

function recorded(revision: number, event: CiEvent): RecordedCiEvent {
  return {
    eventId: `e${revision}`,
    ciId: 'web-1',
    revision,
    position: revision,
    recordedAt: new Date(Date.UTC(2026, 0, 1, 0, revision)).toISOString(),
    event,
    metadata: { actor: 'test', reason: null, changeRef: null, source: 'api', correlationId: null },
  };
}

/** The open versions after the registration: the CI's node and its one edge. */
const open = graphProjection.project(
  [],
  recorded(1, { type: 'CiRegistered', data: { ciId: 'web-1', document: registered } }),
);

describe('the graph projection', () => {
  it('opens a node and an edge per relationship at registration', () => {
    expect(open.map((doc) => [doc.kind, doc.validTo])).toEqual([
      ['ci', null],
      ['edge', null],
    ]);
  });

  it('writes nothing for a change that touches neither type, status nor relationships', () => {
    const change = recorded(2, {
      type: 'CiChanged',
      data: { ciId: 'web-1', patch: [{ op: 'replace', path: '/attributes/kernel', value: '6.1.1' }] },
    });
    expect(graphProjection.project(open, change)).toEqual([]);
  });

  it('closes and reopens the node when the status changes, leaving the edge open', () => {
    const change = recorded(2, {
      type: 'CiChanged',
      data: { ciId: 'web-1', patch: [{ op: 'replace', path: '/status', value: 'maintenance' }] },
    });
    const writes = graphProjection.project(open, change) as GraphDoc[];
    expect(writes.map((doc) => [doc.kind, doc.revision, doc.validTo])).toEqual([
      ['ci', 1, change.recordedAt],
      ['ci', 2, null],
    ]);
    expect(writes[1]).toMatchObject({ status: 'maintenance' });
  });

  it('closes the old edge and opens the new one when a relationship is re-pointed', () => {
    const change = recorded(2, {
      type: 'CiChanged',
      data: { ciId: 'web-1', patch: [{ op: 'replace', path: '/relationships/0/target', value: 'host-2' }] },
    });
    const writes = graphProjection.project(open, change) as GraphDoc[];
    const edges = writes.filter((doc) => doc.kind === 'edge');
    expect(edges.map((edge) => [edge.target, edge.validTo])).toEqual([
      ['host-1', change.recordedAt],
      ['host-2', null],
    ]);
  });
});
