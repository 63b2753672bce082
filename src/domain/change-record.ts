import { patchOfEvent } from './ci-state';
import type { CiEventType, RecordedCiEvent } from './events';
import type { JsonPatch } from './json-patch';

/**
 * One change as every reader of changes sees it: the change feed, a CI's
 * history and the relay's messages are all made by `changeRecord`, so they
 * cannot describe the same event differently.
 */
export interface ChangeRecord {
  readonly position: number;
  readonly ciId: string;
  /** The CI's type after the change. */
  readonly ciType: string;
  readonly revision: number;
  readonly eventType: CiEventType;
  readonly recordedAt: string;
  readonly actor: string;
  readonly onBehalfOf: string | null;
  readonly reason: string | null;
  readonly changeRef: string | null;
  readonly source: string;
  readonly correlationId: string | null;
  /** RFC 6902, from the previous document to this one. */
  readonly patch: JsonPatch;
}

export function changeRecord(recorded: RecordedCiEvent, ciType: string): ChangeRecord {
  const { event, metadata } = recorded;
  return {
    position: recorded.position,
    ciId: recorded.ciId,
    ciType,
    revision: recorded.revision,
    eventType: event.type,
    recordedAt: recorded.recordedAt,
    actor: metadata.actor,
    // Events recorded before onBehalfOf existed read back as null.
    onBehalfOf: metadata.onBehalfOf ?? null,
    reason: metadata.reason,
    changeRef: metadata.changeRef,
    source: metadata.source,
    correlationId: metadata.correlationId,
    patch: patchOfEvent(event),
  };
}
