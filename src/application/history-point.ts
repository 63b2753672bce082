import { HistoryPointNotFoundError, type RecordedCiEvent } from '../domain';

/** A point in one CI's history: a revision number, or an instant (ms since the epoch). */
export type HistoryPoint = { readonly revision: number } | { readonly asOf: number };

export function describePoint(point: HistoryPoint): string {
  return 'revision' in point ? `revision ${point.revision}` : new Date(point.asOf).toISOString();
}

/** Throws HistoryPointNotFoundError unless a CI at revision `head` has revision `revision`. */
export function checkRevision(ciId: string, revision: number, head: number, field: string): void {
  if (revision < 1 || revision > head) {
    throw new HistoryPointNotFoundError(
      ciId,
      field,
      `CI "${ciId}" has no revision ${revision}; its revisions are 1 to ${head}`,
    );
  }
}

/** The error for an instant before the CI's first event, recorded at `registeredAt`. */
export function notYetAt(
  ciId: string,
  point: HistoryPoint,
  field: string,
  registeredAt: string | undefined,
): HistoryPointNotFoundError {
  return new HistoryPointNotFoundError(
    ciId,
    field,
    `CI "${ciId}" did not exist yet at ${describePoint(point)}; it was registered at ${registeredAt}`,
  );
}

/**
 * The prefix of a CI's history up to `point` (inclusive). Throws
 * HistoryPointNotFoundError when the CI had no such revision, or did not yet
 * exist at that instant. `field` names the request field for the error.
 */
export function historyUpTo(
  ciId: string,
  history: readonly RecordedCiEvent[],
  point: HistoryPoint,
  field: string,
): RecordedCiEvent[] {
  if ('revision' in point) {
    checkRevision(ciId, point.revision, history.length, field);
    return history.slice(0, point.revision);
  }
  const prefix = history.filter((recorded) => Date.parse(recorded.recordedAt) <= point.asOf);
  if (prefix.length === 0) throw notYetAt(ciId, point, field, history[0]?.recordedAt);
  return prefix;
}
