import {
  CHANGE_EVENT_TYPE,
  STATE_EVENT_TYPE,
  changeRecord,
  stateRecord,
  topicNames,
} from '../../src/adapters/relay/cloud-events';
import {
  CiChangeMessageSchema,
  CiStateMessageSchema,
  type CiChangeMessage,
  type CiStateMessage,
} from '../../src/ports/publisher';

const change: CiChangeMessage = {
  eventId: '3f1c2a4e-0000-4000-8000-000000000001',
  ciId: 'web-01',
  ciType: 'server',
  revision: 3,
  position: 42,
  onBehalfOf: 'dana',
  eventType: 'CiChanged',
  recordedAt: '2026-05-01T10:00:00.123Z',
  actor: 'alice',
  reason: 'upgrade',
  changeRef: 'CHG-7',
  source: 'api',
  correlationId: 'req-1',
  patch: [{ op: 'replace', path: '/attributes/cpu', value: 8 }],
};

const state: CiStateMessage = {
  id: 'web-01',
  type: 'server',
  name: 'web',
  status: 'live',
  attributes: { cpu: 8 },
  relationships: [],
  revision: 3,
  position: 42,
  recordedAt: '2026-05-01T10:00:00.123Z',
};

describe('CloudEvents binary mode for Kafka', () => {
  it('maps a change: keyed by CI id, ce_* headers, recorded time in ce_time (not the record timestamp), JSON value', () => {
    const record = changeRecord(change);
    expect(record.key).toBe('web-01');
    expect(record).not.toHaveProperty('timestamp');
    expect(record.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: change.eventId,
      ce_source: '/configledger',
      ce_type: CHANGE_EVENT_TYPE,
      ce_subject: 'web-01',
      ce_time: '2026-05-01T10:00:00.123Z',
      ce_revision: '3',
      ce_position: '42',
      'content-type': 'application/json',
    });
    expect(CiChangeMessageSchema.parse(JSON.parse(record.value))).toEqual(change);
    expect(CHANGE_EVENT_TYPE).toMatch(/\.ci\.changed\.v1$/);
  });

  it('maps a state: keyed by CI id, a stable ce_id per CI revision', () => {
    const record = stateRecord(state);
    expect(record.key).toBe('web-01');
    expect(record.headers).toMatchObject({
      ce_type: STATE_EVENT_TYPE,
      ce_id: 'web-01@3',
      ce_subject: 'web-01',
      ce_revision: '3',
    });
    expect(CiStateMessageSchema.parse(JSON.parse(record.value))).toEqual(state);
  });

  it('names the topics from the prefix', () => {
    expect(topicNames('configledger.')).toEqual({
      changes: 'configledger.ci-changes.v1',
      state: 'configledger.ci-state.v1',
    });
  });
});
