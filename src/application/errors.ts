/** Errors of the application layer, mapped to HTTP statuses in src/http/problem.ts. */

/** If-Match / If-None-Match did not hold; nothing was appended. */
export class PreconditionFailedError extends Error {
  constructor(
    readonly ciId: string,
    readonly currentRevision: number,
    detail: string,
  ) {
    super(detail);
  }
}

/** Concurrent writers kept winning the race; nothing was appended. */
export class WriteContentionError extends Error {
  constructor(
    readonly ciId: string,
    attempts: number,
  ) {
    super(`CI "${ciId}" changed concurrently ${attempts} times while this write was being decided; send it again`);
  }
}

/** The views did not reach the requested log position in time. */
export class ViewsBehindError extends Error {
  constructor(
    readonly position: number,
    readonly viewsPosition: number,
  ) {
    super(
      `the read views have applied the log up to position ${viewsPosition} but not yet ${position}; retry in a moment`,
    );
  }
}

/** A `minPosition` the log has not reached: waiting could never succeed. */
export class PositionBeyondLogError extends Error {
  constructor(
    readonly position: number,
    readonly headPosition: number,
    /** The request field that gave the position. */
    readonly field = 'minPosition',
  ) {
    super(
      `is ${position}, beyond the newest position in the log (${headPosition}); ` +
        'pass the X-Position of a write this service acknowledged',
    );
  }
}

/** A graph query that would read more relationships than one answer holds; nothing was answered. */
export class GraphTooWideError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * A multi-CI operation (change-set revert, baseline restore) stopped by a
 * failure of the store: what was written and what was not. A re-run
 * completes it: CIs already done are recognised and not written twice.
 */
export class BatchInterruptedError extends Error {
  constructor(
    readonly operation: 'revert' | 'restore',
    readonly done: readonly { readonly ciId: string; readonly outcome: string }[],
    readonly notDone: readonly string[],
    cause: unknown,
  ) {
    const written = done.filter((item) => ['reverted', 'retired', 'restored'].includes(item.outcome)).length;
    super(
      `the ${operation} stopped after writing ${written} CIs: ${(cause as Error).message}; ` +
        'run it again with the same request to complete it (CIs already done are not written twice)',
      { cause },
    );
  }
}
