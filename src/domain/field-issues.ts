import type { z } from 'zod';
import type { FieldIssue } from './errors';

/** Turns zod issues into field paths a person can find in their request. */
export function fieldIssues(error: z.ZodError, prefix?: string): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const path = prefix ? [prefix, ...issue.path] : issue.path;
    if (issue.code === 'unrecognized_keys') {
      // One issue per unknown key, named by its own path.
      return issue.keys.map((key) => ({ field: formatPath([...path, key]), message: 'is not a recognised field' }));
    }
    return [{ field: formatPath(path) || '(body)', message: issue.message }];
  });
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    const name = String(segment);
    return text ? `${text}.${name}` : name;
  }, '');
}
