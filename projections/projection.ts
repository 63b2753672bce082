import type { CiEventType, RecordedCiEvent } from '../src/domain';
import type { StoredView, ViewDoc } from '../src/ports/view-store';

/**
 * A read model, defined purely: how its documents are stored (StoredView:
 * kind, key, partition, fields, indexes), its version (a new version makes
 * the runtime drop and rebuild the view from the log), the events it handles,
 * and how one event turns the view's state for the event's CI into the
 * documents to write.
 *
 * The state is what the store's loadState gives for the CI: the document of
 * a current view, the open versions of a temporal view, the newest entry of a
 * log view. Every document records the CI revision that wrote it; the
 * runtime skips an event whose revision the state already reflects, so
 * replaying an event twice changes nothing.
 */
export interface ProjectionDefinition<Doc extends ViewDoc> extends StoredView<Doc> {
  readonly version: number;
  readonly handles: readonly CiEventType[];
  /**
   * @param state the view's documents for the event's CI (see above)
   * @returns the documents to write, in order
   */
  project(state: readonly Doc[], event: RecordedCiEvent): readonly Doc[];
}

/** Any projection, whatever its documents: how the runtime holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProjection = ProjectionDefinition<any>;
