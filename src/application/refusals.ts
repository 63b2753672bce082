import { CiRulesViolatedError, type FieldIssue } from '../domain';
import { ChangeRefusedError } from './change-policy';

/**
 * Why one CI's write in a multi-CI operation was refused (its type's rules,
 * the lifecycle, the change policy), as field issues; undefined for any other
 * failure, which stops the operation instead of being reported per CI.
 */
export function refusalIssues(error: unknown): readonly FieldIssue[] | undefined {
  if (error instanceof CiRulesViolatedError) return error.issues;
  if (error instanceof ChangeRefusedError) return [{ field: error.field, message: error.message }];
  return undefined;
}
