/**
 * Domain errors: what a command can be refused for. They carry no HTTP
 * meaning; the edge maps each class to a status once (src/http/problem.ts).
 */

export abstract class DomainError extends Error {
  abstract readonly code: string;
}

export class CiNotFoundError extends DomainError {
  readonly code = 'ci-not-found';
  constructor(readonly ciId: string) {
    super(`CI "${ciId}" does not exist; register it first with PUT or POST /api/v1/cis`);
  }
}

export class CiAlreadyExistsError extends DomainError {
  readonly code = 'ci-already-exists';
  constructor(readonly ciId: string) {
    super(`CI "${ciId}" already exists; change it with PUT or PATCH /api/v1/cis/${ciId}`);
  }
}

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `attributes` or `relationships[2].target`. */
  readonly field: string;
  readonly message: string;
}

/** The input would make an invalid CI document (or is not a valid command). */
export class InvalidCiError extends DomainError {
  readonly code = 'invalid-ci';
  constructor(readonly issues: readonly FieldIssue[]) {
    super(issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '));
  }
}

/** A point in a CI's history (revision or instant) that the CI never had. */
export class HistoryPointNotFoundError extends DomainError {
  readonly code = 'history-point-not-found';
  constructor(
    readonly ciId: string,
    readonly field: string,
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * The change breaks the rules of the CI's type (its attribute schema, its
 * relationship rules) or of the lifecycle: every broken rule, by field.
 */
export class CiRulesViolatedError extends DomainError {
  readonly code = 'ci-rules-violated';
  constructor(
    readonly ciId: string,
    readonly issues: readonly FieldIssue[],
  ) {
    super(`CI "${ciId}": ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}`);
  }
}

/** No change was ever recorded under the change reference. */
export class ChangeSetNotFoundError extends DomainError {
  readonly code = 'change-set-not-found';
  constructor(readonly changeRef: string) {
    super(
      `no change was recorded under change reference "${changeRef}"; ` +
        `look for it with GET /api/v1/changes?changeRef=${encodeURIComponent(changeRef)}`,
    );
  }
}

export class BaselineNotFoundError extends DomainError {
  readonly code = 'baseline-not-found';
  constructor(readonly baseline: string) {
    super(`no baseline is named "${baseline}"; list them with GET /api/v1/baselines`);
  }
}

export class BaselineExistsError extends DomainError {
  readonly code = 'baseline-exists';
  constructor(readonly baseline: string) {
    super(`a baseline named "${baseline}" exists already, and baselines are never replaced; choose another name`);
  }
}
