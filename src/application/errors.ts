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
