import type { CiStatus } from './ci';
import type { Transitions } from './ci-type';

/**
 * Lifecycle rules: which status may follow which. Pure.
 *
 * - `disposed` is final: nothing leaves it, not even a restore (a disposed
 *   asset is gone; register a new CI for a new one).
 * - Ordinary writes (PUT, PATCH, POST) follow the type's `transitions` when
 *   it declares them; otherwise every move is allowed except out of
 *   `retired`, which only a restore may undo (to `disposed` is fine).
 * - Restores (single-CI, baseline, change-set revert) go back to a state the
 *   lifecycle once accepted, so they are not held to the transition table.
 */
export function lifecycleRefusal(
  from: CiStatus | undefined,
  to: CiStatus,
  byRestore: boolean,
  transitions: Transitions | undefined,
): string | undefined {
  if (from === undefined || from === to) return undefined;
  if (from === 'disposed') {
    return `${from} → ${to} is not allowed: disposed is final; register a new CI for a new asset`;
  }
  if (byRestore) return undefined;
  if (transitions) {
    const allowed = transitions[from] ?? [];
    if (allowed.includes(to)) return undefined;
    return (
      `${from} → ${to} is not allowed by the type's lifecycle` +
      (allowed.length > 0 ? ` (from ${from}: ${allowed.join(', ')})` : ` (${from} has no way out)`)
    );
  }
  if (from === 'retired' && to !== 'disposed') {
    return `${from} → ${to} is not allowed: a retired CI comes back only by a restore (POST /cis/{id}/restore)`;
  }
  return undefined;
}
