import type { CiEventType, RecordedCiEvent } from '../src/domain';

/**
 * A read model, defined purely: its name, its version (a new version makes
 * the runtime drop and rebuild the view from the log), the events it handles,
 * and how one event turns the newest document the view holds for that CI
 * into the documents to write.
 *
 * Every document records the CI revision it reflects; the runtime skips an
 * event whose revision the view already holds, so replaying an event twice
 * changes nothing.
 */
export interface ProjectionDefinition<Name extends string, Doc extends { readonly revision: number }> {
  readonly name: Name;
  readonly version: number;
  readonly handles: readonly CiEventType[];
  /**
   * @param latest the newest document of this view for the event's CI, if any
   * @returns the documents to upsert; the last one is the view's newest for that CI
   */
  project(latest: Doc | undefined, event: RecordedCiEvent): readonly Doc[];
}
