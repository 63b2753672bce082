import { z } from 'zod';

/**
 * Messages people can act on, for every schema in the service: "is
 * required", "must be a JSON object, not an array" rather than zod's
 * generic "Invalid input". Installed once, when the domain is loaded.
 */
z.config({
  customError: (issue) => {
    if (issue.code !== 'invalid_type') return undefined;
    if (issue.input === undefined) return 'is required';
    return `must be ${article(issue.expected)}, not ${describe(issue.input)}`;
  },
});

function article(expected: string): string {
  switch (expected) {
    case 'record':
    case 'object':
      return 'a JSON object';
    case 'array':
      return 'an array';
    case 'int':
      return 'an integer';
    default:
      return `a ${expected}`;
  }
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'object') return 'an object';
  return `a ${typeof input}`;
}
