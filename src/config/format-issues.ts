import type { z } from 'zod';

/** `['pipelines', 0, 'chunk_size']` → `pipelines[0].chunk_size`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** Describes a found value the way an operator reads it: `"50" (string)`, `12 (number)`, `nothing`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value) : String(value);
  return `${shown} (${typeof value})`;
}

/**
 * One line per problem: `key.path: expected …, got …`. Needs issues parsed with `reportInput: true`.
 * `hints` adds a note per path (e.g. which environment variable was unset there).
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = [], hints?: Map<string, string>): string[] {
  return issues.map((issue) => {
    const path = formatPath([...prefix, ...issue.path]);
    let line: string;
    if (issue.code === 'unrecognized_keys') {
      line = `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      line = `${path}: ${issue.message}`;
    } else {
      const expected = issue.message.replace(/^Invalid input: /, '').replace(/, received \w+$/, '');
      const got = 'input' in issue ? describeValue(issue.input) : undefined;
      line = got === undefined ? `${path}: ${expected}` : `${path}: ${expected}, got ${got}`;
    }
    const hint = hints?.get(path);
    return hint ? `${line} (${hint})` : line;
  });
}
