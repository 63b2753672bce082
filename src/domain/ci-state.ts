import type { CiDocument } from './ci';
import { applyDocumentPatch, diffDocuments, type JsonPatch } from './json-patch';
import type { CiEvent } from './events';

/** A CI as folded from its stream. `revision` 0 means the stream is empty. */
export interface CiState {
  readonly revision: number;
  /** When the latest event was recorded (RFC 3339), undefined before the first. */
  readonly recordedAt: string | undefined;
  readonly document: CiDocument | undefined;
}

export const initialCiState: CiState = { revision: 0, recordedAt: undefined, document: undefined };

/**
 * The last document each event object evolved, and from which document: the
 * current and versions views both evolve the same previous document by the
 * same event, so the second asks for a result the first just computed.
 * Documents are immutable, so identity is enough to know it is the same input.
 */
const lastEvolved = new WeakMap<CiEvent, { readonly from: CiDocument | undefined; readonly to: CiDocument }>();

/** The document after one event. Pure (memoised by identity, see above). */
export function evolveDocument(document: CiDocument | undefined, event: CiEvent): CiDocument {
  const memo = lastEvolved.get(event);
  if (memo && memo.from === document) return memo.to;
  const to = evolveOnce(document, event);
  lastEvolved.set(event, { from: document, to });
  return to;
}

/** A `never` check keeps the switch complete. */
function evolveOnce(document: CiDocument | undefined, event: CiEvent): CiDocument {
  switch (event.type) {
    case 'CiRegistered':
      return event.data.document;
    case 'CiChanged':
    case 'CiRetired':
    case 'CiRestored':
      return applyDocumentPatch(document, event.data.patch);
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

export function evolve(state: CiState, event: CiEvent, recordedAt: string): CiState {
  return {
    revision: state.revision + 1,
    recordedAt,
    document: evolveDocument(state.document, event),
  };
}

/** The state after `events`, folded onto `from` (a snapshot's state, or none). */
export function foldCi(
  events: Iterable<{ readonly event: CiEvent; readonly recordedAt: string }>,
  from: CiState = initialCiState,
): CiState {
  let state = from;
  for (const { event, recordedAt } of events) state = evolve(state, event, recordedAt);
  return state;
}

/** The RFC 6902 patch an event applied to the previous document (a registration adds every field). */
export function patchOfEvent(event: CiEvent): JsonPatch {
  return event.type === 'CiRegistered' ? diffDocuments(undefined, event.data.document) : event.data.patch;
}
