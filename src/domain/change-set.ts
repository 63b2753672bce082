import { ciDocument, type CiDocument } from './ci';
import { foldCi, patchOfEvent } from './ci-state';
import type { RecordedCiEvent } from './events';
import { diffDocuments, type JsonPatch } from './json-patch';

/**
 * Reverting a change set, one CI at a time. Pure: given a CI's whole history,
 * what undoing every change recorded under one change reference means for it.
 *
 * A change touches fields of the CI document: `/type`, `/name`, `/status`,
 * `/relationships` (a set, so one field), and each top-level attribute
 * `/attributes/<key>`; a registration touches the whole document (``).
 * Reverting puts every field the set touched back to its value before the
 * set's first change, and leaves the other fields as they are now. A later
 * change outside the set that touched one of those fields is a conflict:
 * reverting would silently undo it too, so it is reported, not applied,
 * unless forced. A CI the set registered did not exist before it: reverting
 * retires it.
 */

export type RevertAction = 'revert' | 'retire' | 'conflict' | 'nothing-to-do' | 'already-reverted';

export interface RevertConflict {
  /** The later change, outside the set, that touched the same fields. */
  readonly revision: number;
  readonly changeRef: string | null;
  readonly fields: readonly string[];
}

export interface RevertPlan {
  readonly ciId: string;
  readonly action: RevertAction;
  /** The CI's revision the plan was made on (a write pins it with If-Match). */
  readonly revision: number;
  /** The fields the set touched, as JSON Pointers into the CI document. */
  readonly fields: readonly string[];
  readonly conflicts: readonly RevertConflict[];
  /** Current document → reverted document (for a conflict: what `force` would apply). */
  readonly patch: JsonPatch;
  /** The document to declare (absent when there is nothing to write). */
  readonly target?: CiDocument;
}

export interface RevertOptions {
  readonly changeRef: string;
  /** The change reference reverts are recorded under: a CI already reverted under it is not reverted twice. */
  readonly revertRef: string;
  readonly force: boolean;
}

export function planRevert(ciId: string, history: readonly RecordedCiEvent[], options: RevertOptions): RevertPlan {
  const current = foldCi(history);
  const base = { ciId, revision: current.revision, conflicts: [], patch: [] };
  const inSet = history.filter((event) => event.metadata.changeRef === options.changeRef);
  if (inSet.length === 0 || !current.document) return { ...base, action: 'nothing-to-do', fields: [] };
  const fields = [...new Set(inSet.flatMap(touchedFields))].sort();
  const first = inSet[0]!.revision;
  const last = inSet.at(-1)!.revision;
  const reverted = history.some(
    (event) =>
      event.revision > last && event.metadata.source === 'revert' && event.metadata.changeRef === options.revertRef,
  );
  if (reverted) return { ...base, action: 'already-reverted', fields };

  const conflicts: RevertConflict[] = [];
  for (const event of history) {
    if (event.revision <= first || event.metadata.changeRef === options.changeRef) continue;
    const overlapping = touchedFields(event).filter((field) => fields.some((mine) => overlaps(field, mine)));
    if (overlapping.length > 0) {
      conflicts.push({ revision: event.revision, changeRef: event.metadata.changeRef, fields: overlapping });
    }
  }
  const before = foldCi(history.slice(0, first - 1)).document;
  const now = current.document;
  let target: CiDocument;
  if (before === undefined) {
    // Registered by the set: the nearest a history that is never rewritten has to "did not exist".
    if (now.status === 'retired' || now.status === 'disposed') return { ...base, action: 'nothing-to-do', fields };
    target = { ...now, status: 'retired' };
  } else {
    target = withFields(now, before, fields);
  }
  const patch = diffDocuments(now, target);
  if (patch.length === 0) return { ...base, action: 'nothing-to-do', fields, conflicts };
  if (conflicts.length > 0 && !options.force) return { ...base, action: 'conflict', fields, conflicts, patch };
  return { ...base, action: before === undefined ? 'retire' : 'revert', fields, conflicts, patch, target };
}

/** The document fields an event changed (see above). */
export function touchedFields(event: RecordedCiEvent): string[] {
  if (event.event.type === 'CiRegistered') return [''];
  return [
    ...new Set(
      patchOfEvent(event.event).flatMap((op) => [fieldOf(op.path), ...('from' in op ? [fieldOf(op.from)] : [])]),
    ),
  ];
}

function fieldOf(path: string): string {
  const tokens = path.split('/');
  if (tokens.length < 2) return '';
  if (tokens[1] === 'attributes' && tokens.length > 2) return `/attributes/${tokens[2]}`;
  return `/${tokens[1]}`;
}

/** Whether two fields share data: equal, or one holds the other (`` holds everything). */
function overlaps(a: string, b: string): boolean {
  return a === '' || b === '' || a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** `now` with each of `fields` as it was in `before` (a field `before` lacked is removed). */
function withFields(now: CiDocument, before: CiDocument, fields: readonly string[]): CiDocument {
  if (fields.includes('')) return before;
  const next = { ...now, attributes: { ...now.attributes } };
  for (const field of fields) {
    if (field.startsWith('/attributes/')) {
      const key = field.slice('/attributes/'.length).replaceAll('~1', '/').replaceAll('~0', '~');
      if (Object.hasOwn(before.attributes, key)) next.attributes[key] = before.attributes[key]!;
      else delete next.attributes[key];
    } else if (field === '/attributes') {
      next.attributes = before.attributes;
    } else {
      const name = field.slice(1) as 'type' | 'name' | 'status' | 'relationships';
      (next as Record<string, unknown>)[name] = before[name];
    }
  }
  return ciDocument(next);
}
