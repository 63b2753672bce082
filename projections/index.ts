import { changeFeedProjection } from './change-feed';
import { ciVersionsProjection } from './ci-versions';
import { currentCisProjection } from './current-cis';
import { graphProjection } from './graph';
import type { AnyProjection } from './projection';

export * from './change-feed';
export * from './ci-versions';
export * from './current-cis';
export * from './graph';
export type { AnyProjection, ProjectionDefinition } from './projection';

/** Every projection the service runs, in the order they are applied. */
export const allProjections: readonly AnyProjection[] = [
  currentCisProjection,
  ciVersionsProjection,
  changeFeedProjection,
  graphProjection,
];
