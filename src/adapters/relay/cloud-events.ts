import type { CiChangeMessage, CiStateMessage } from '../../ports/publisher';

/**
 * CloudEvents 1.0, Kafka protocol binding, binary content mode: the event's
 * attributes travel as `ce_*` headers and the value is the JSON data. Pure,
 * so the mapping is unit-tested without a broker.
 */

export const CHANGE_EVENT_TYPE = 'io.configledger.ci.changed.v1';
export const STATE_EVENT_TYPE = 'io.configledger.ci.state.v1';
export const CLOUD_EVENTS_SOURCE = '/configledger';

export interface KafkaRecord {
  readonly key: string;
  readonly value: string;
  /**
   * No record timestamp: the topics stamp records with the broker's append
   * time (LogAppendTime), so that back-filling an old log is not deleted at
   * once by time-based retention; the change's own time is `ce_time`.
   */
  readonly headers: Record<string, string>;
}

function headers(type: string, id: string, ciId: string, recordedAt: string, revision: number, position: number) {
  return {
    ce_specversion: '1.0',
    ce_id: id,
    ce_source: CLOUD_EVENTS_SOURCE,
    ce_type: type,
    ce_subject: ciId,
    ce_time: recordedAt,
    // Extension attributes (lower-case alphanumeric names, per the spec).
    ce_revision: String(revision),
    ce_position: String(position),
    'content-type': 'application/json',
  };
}

/** A change-topic record: keyed by CI id, so every change of one CI lands in one partition, in order. */
export function changeRecord(change: CiChangeMessage): KafkaRecord {
  return {
    key: change.ciId,
    value: JSON.stringify(change),
    headers: headers(
      CHANGE_EVENT_TYPE,
      change.eventId,
      change.ciId,
      change.recordedAt,
      change.revision,
      change.position,
    ),
  };
}

/**
 * A state-topic record (compacted: the latest record per CI id is kept). Its
 * ce_id is the CI id and revision, unique per state and stable across re-sends.
 */
export function stateRecord(state: CiStateMessage): KafkaRecord {
  return {
    key: state.id,
    value: JSON.stringify(state),
    headers: headers(
      STATE_EVENT_TYPE,
      `${state.id}@${state.revision}`,
      state.id,
      state.recordedAt,
      state.revision,
      state.position,
    ),
  };
}

/**
 * The record as it is, or, when its value is over `maxBytes` (the broker's
 * limit), a claim check: the value without its large parts, `truncated:
 * true`, and the CloudEvents `dataref` header naming the API call that gives
 * the whole of it. The relay is never blocked by one large CI.
 */
export function withinLimit(record: KafkaRecord, maxBytes: number, claimCheck: () => ClaimCheck): KafkaRecord {
  if (Buffer.byteLength(record.value) <= maxBytes) return record;
  const { value, dataref } = claimCheck();
  return {
    ...record,
    value: JSON.stringify({ ...value, truncated: true }),
    headers: { ...record.headers, ce_dataref: dataref },
  };
}

export interface ClaimCheck {
  readonly value: object;
  /** A URI reference, relative to the service's base URL. */
  readonly dataref: string;
}

export function changeClaimCheck(change: CiChangeMessage): ClaimCheck {
  const { patch: _patch, ...value } = change;
  const id = encodeURIComponent(change.ciId);
  return {
    value,
    // A registration's patch is the whole first document; any other is the diff from the revision before.
    dataref:
      change.revision === 1
        ? `/api/v1/cis/${id}?revision=1`
        : `/api/v1/cis/${id}/diff?from=${change.revision - 1}&to=${change.revision}`,
  };
}

export function stateClaimCheck(state: CiStateMessage): ClaimCheck {
  const { attributes: _attributes, relationships: _relationships, ...value } = state;
  return { value, dataref: `/api/v1/cis/${encodeURIComponent(state.id)}?revision=${state.revision}` };
}

export function topicNames(prefix: string): { changes: string; state: string } {
  return { changes: `${prefix}ci-changes.v1`, state: `${prefix}ci-state.v1` };
}
