import { evolveDocument, type CiDocument, type CiEventType } from '../src/domain';
import type { ProjectionDefinition } from './projection';

/**
 * One document per CI revision, valid over [validFrom, validTo) in recorded
 * time; validTo is null for the current revision. "CI X as of T" is then one
 * indexed lookup and "the whole inventory as of T" one range query, with no
 * replay per request.
 */
export interface CiVersion {
  readonly ciId: string;
  readonly revision: number;
  readonly position: number;
  readonly eventType: CiEventType;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly document: CiDocument;
}

export const ciVersionsProjection: ProjectionDefinition<'ciVersions', CiVersion> = {
  name: 'ciVersions',
  version: 1,
  handles: ['CiRegistered', 'CiChanged', 'CiRetired', 'CiRestored'],
  project(latest, recorded) {
    const next: CiVersion = {
      ciId: recorded.ciId,
      revision: recorded.revision,
      position: recorded.position,
      eventType: recorded.event.type,
      validFrom: recorded.recordedAt,
      validTo: null,
      document: evolveDocument(latest?.document, recorded.event),
    };
    return latest ? [{ ...latest, validTo: recorded.recordedAt }, next] : [next];
  },
};
