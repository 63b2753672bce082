import { evolveDocument, type CiDocument } from '../src/domain';
import type { ProjectionDefinition } from './projection';

/** The current state of every CI: one document per CI. */
export interface CurrentCi {
  readonly ciId: string;
  readonly revision: number;
  readonly position: number;
  readonly recordedAt: string;
  readonly document: CiDocument;
}

export const currentCisProjection: ProjectionDefinition<'currentCis', CurrentCi> = {
  name: 'currentCis',
  version: 1,
  handles: ['CiRegistered', 'CiChanged', 'CiRetired', 'CiRestored'],
  project(latest, recorded) {
    return [
      {
        ciId: recorded.ciId,
        revision: recorded.revision,
        position: recorded.position,
        recordedAt: recorded.recordedAt,
        document: evolveDocument(latest?.document, recorded.event),
      },
    ];
  },
};
