import { isDeepStrictEqual } from 'node:util';
import type { RecordedCiEvent } from '../src/domain';
import type { TemporalDoc } from '../src/ports/view-store';

/** A version's content: everything but when it was valid and which revision opened it (per member of a union). */
export type VersionBody<Doc extends TemporalDoc> = Doc extends TemporalDoc
  ? Omit<Doc, 'revision' | 'validFrom' | 'validTo'>
  : never;

/**
 * The writes that move a temporal view's open versions for one CI to `next`,
 * the content valid after `event` (fresh objects: the ones opened are
 * completed in place, not copied); written once for every temporal view. A
 * thing (by key) whose content did not change stays open; one that changed
 * or went away is closed at the event's time; one that is new or changed is
 * opened by the event.
 */
export function versionWrites<Doc extends TemporalDoc>(
  key: (doc: VersionBody<Doc>) => string | number,
  open: readonly Doc[],
  next: readonly VersionBody<Doc>[],
  event: RecordedCiEvent,
): Doc[] {
  const at = event.recordedAt;
  if (open.length <= 1 && next.length === 1) {
    // One thing versioned (a CI's own version, per event): the same rule, without the maps.
    const [version] = open;
    const body = next[0]!;
    if (version && key(version as unknown as VersionBody<Doc>) === key(body) && sameContent(version, body)) return [];
    const opened = Object.assign(body, { revision: event.revision, validFrom: at, validTo: null }) as unknown as Doc;
    return version ? [{ ...version, validTo: at }, opened] : [opened];
  }
  const nextByKey = new Map(next.map((body) => [key(body), body]));
  const writes: Doc[] = [];
  const kept = new Set<string | number>();
  for (const version of open) {
    const k = key(version as unknown as VersionBody<Doc>);
    const body = nextByKey.get(k);
    if (body && sameContent(version, body)) kept.add(k);
    else writes.push({ ...version, validTo: at });
  }
  for (const [k, body] of nextByKey) {
    if (!kept.has(k))
      writes.push({ ...body, revision: event.revision, validFrom: at, validTo: null } as unknown as Doc);
  }
  return writes;
}

/** Whether a version holds `body`, field by field, without copying it (projecting is the hot path of a rebuild). */
function sameContent<Doc extends TemporalDoc>(version: Doc, body: VersionBody<Doc>): boolean {
  const fields = body as Record<string, unknown>;
  for (const field in fields) {
    const stored = (version as unknown as Record<string, unknown>)[field];
    const next = fields[field];
    if (stored === next) continue;
    // Only objects can be equal without being identical; a differing primitive settles it at once.
    if (typeof stored !== 'object' || typeof next !== 'object' || stored === null || next === null) return false;
    if (!isDeepStrictEqual(stored, next)) return false;
  }
  return true;
}
