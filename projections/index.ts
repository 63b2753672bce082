import { changeFeedProjection, type ChangeFeedEntry } from './change-feed';
import { ciVersionsProjection, type CiVersion } from './ci-versions';
import { currentCisProjection, type CurrentCi } from './current-cis';
import type { ProjectionDefinition } from './projection';

export type { ChangeFeedEntry, CiVersion, CurrentCi, ProjectionDefinition };
export { changeFeedProjection, ciVersionsProjection, currentCisProjection };

/** The document type of each view, by view name. */
export interface ViewDocuments {
  currentCis: CurrentCi;
  ciVersions: CiVersion;
  changeFeed: ChangeFeedEntry;
}
export type ViewName = keyof ViewDocuments;

export type AnyProjection = {
  [Name in ViewName]: ProjectionDefinition<Name, ViewDocuments[Name]>;
}[ViewName];

/** Every projection the service runs, in the order they are applied. */
export const allProjections: readonly AnyProjection[] = [
  currentCisProjection,
  ciVersionsProjection,
  changeFeedProjection,
];
