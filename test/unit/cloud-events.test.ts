import {
  CHANGE_EVENT_TYPE,
  STATE_EVENT_TYPE,
  changeRecord,
  stateRecord,
  topicNames,
  changeClaimCheck,
  stateClaimCheck,
  withinLimit,
} from '../../src/adapters/relay/cloud-events';
import {
  CiChangeClaimCheckSchema,
  CiChangeMessageSchema,
  CiStateClaimCheckSchema,
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

describe('claim checks for messages too large for the broker', () => {
  const big = { ...state, attributes: { blob: 'x'.repeat(5000) } };

  it('keeps a message within the limit as it is', () => {
    const record = stateRecord(big);
    expect(withinLimit(record, 10_000, () => stateClaimCheck(big))).toBe(record);
  });

  it('sends a state over the limit without attributes and relationships, with ce_dataref to read it whole', () => {
    const record = withinLimit(stateRecord(big), 1000, () => stateClaimCheck(big));
    const value = JSON.parse(record.value);
    expect(value).toEqual({
      id: big.id,
      type: big.type,
      name: big.name,
      status: big.status,
      revision: big.revision,
      position: big.position,
      recordedAt: big.recordedAt,
      truncated: true,
    });
    expect(CiStateClaimCheckSchema.parse(value)).toEqual(value);
    expect(record.key).toBe(big.id);
    expect(record.headers).toMatchObject({
      ce_id: `${big.id}@${big.revision}`,
      ce_dataref: `/api/v1/cis/${big.id}?revision=${big.revision}`,
    });
  });

  it('sends a change over the limit without its patch, pointing at the diff (or the first revision)', () => {
    const huge = { ...change, patch: [{ op: 'add' as const, path: '/attributes/blob', value: 'x'.repeat(5000) }] };
    const record = withinLimit(changeRecord(huge), 1000, () => changeClaimCheck(huge));
    const value = JSON.parse(record.value);
    expect(value.patch).toBeUndefined();
    expect(value.truncated).toBe(true);
    expect(CiChangeClaimCheckSchema.parse(value)).toEqual(value);
    expect(record.headers['ce_dataref']).toBe(
      `/api/v1/cis/${huge.ciId}/diff?from=${huge.revision - 1}&to=${huge.revision}`,
    );
    const first = { ...huge, revision: 1 };
    expect(withinLimit(changeRecord(first), 1000, () => changeClaimCheck(first)).headers['ce_dataref']).toBe(
      `/api/v1/cis/${huge.ciId}?revision=1`,
    );
  });
});
