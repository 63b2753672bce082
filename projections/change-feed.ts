import { patchOfEvent, type CiEventType, type JsonPatch } from '../src/domain';
import type { ProjectionDefinition } from './projection';

/**
 * The change feed across all CIs: one entry per event, with who/why/ticket and
 * the RFC 6902 patch from the previous document. `ciType` is the CI's type
 * after the change, carried forward from the CI's previous entry, so the feed
 * can be filtered by CI type without a join.
 */
export interface ChangeFeedEntry {
  readonly position: number;
  readonly ciId: string;
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
  readonly patch: JsonPatch;
}

export const changeFeedProjection: ProjectionDefinition<'changeFeed', ChangeFeedEntry> = {
  name: 'changeFeed',
  version: 2, // 2: entries carry onBehalfOf
  handles: ['CiRegistered', 'CiChanged', 'CiRetired', 'CiRestored'],
  project(latest, recorded) {
    const { event, metadata } = recorded;
    const patch = patchOfEvent(event);
    const typeChange = patch.find((op) => op.path === '/type' && (op.op === 'replace' || op.op === 'add'));
    const ciType = typeChange && 'value' in typeChange ? String(typeChange.value) : (latest?.ciType ?? 'unknown');
    return [
      {
        position: recorded.position,
        ciId: recorded.ciId,
        ciType,
        revision: recorded.revision,
        eventType: event.type,
        recordedAt: recorded.recordedAt,
        actor: metadata.actor,
        onBehalfOf: metadata.onBehalfOf ?? null,
        reason: metadata.reason,
        changeRef: metadata.changeRef,
        source: metadata.source,
        correlationId: metadata.correlationId,
        patch,
      },
    ];
  },
};
