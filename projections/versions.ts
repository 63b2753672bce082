import { isDeepStrictEqual } from 'node:util';
import type { RecordedCiEvent } from '../src/domain';
import type { TemporalDoc } from '../src/ports/view-store';

/** A version's content: everything but when it was valid and which revision opened it (per member of a union). */
export type VersionBody<Doc extends TemporalDoc> = Doc extends TemporalDoc
  ? Omit<Doc, 'revision' | 'validFrom' | 'validTo'>
  : never;

/**
 * The writes that move a temporal view's open versions for one CI to `next`,
 * the content valid after `event`; written once for every temporal view. A
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
  const nextByKey = new Map(next.map((body) => [key(body), body]));
  const writes: Doc[] = [];
  const kept = new Set<string | number>();
  for (const version of open) {
    const k = key(bodyOf(version));
    const body = nextByKey.get(k);
    if (body && isDeepStrictEqual(bodyOf(version), body)) kept.add(k);
    else writes.push({ ...version, validTo: at });
  }
  for (const [k, body] of nextByKey) {
    if (!kept.has(k))
      writes.push({ ...body, revision: event.revision, validFrom: at, validTo: null } as unknown as Doc);
  }
  return writes;
}

function bodyOf<Doc extends TemporalDoc>(version: Doc): VersionBody<Doc> {
  const { revision: _revision, validFrom: _from, validTo: _to, ...body } = version;
  return body as VersionBody<Doc>;
}
