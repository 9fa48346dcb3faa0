import type { z } from 'zod';
import { isSecretKey, maskSecrets } from './secrets.js';

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
      const got = 'input' in issue ? describeFound(issue.input, [...prefix, ...issue.path].at(-1)) : undefined;
      line = got === undefined ? `${path}: ${expected}` : `${path}: ${expected}, got ${got}`;
    }
    const hint = hints?.get(path);
    return hint ? `${line} (${hint})` : line;
  });
}

/**
 * The found value for an error message, without ever echoing a secret: a malformed secret (the key pasted into
 * the secret field, a stray prefix) is still a secret, and config errors go to stderr and CI logs. An empty
 * value is shown, since "it is empty" is the useful part; a database URL keeps its shape with the password masked.
 */
function describeFound(value: unknown, key: PropertyKey | undefined): string {
  if (typeof value !== 'string') return describeValue(value);
  if (value !== '' && typeof key === 'string' && isSecretKey(key)) return `a value of ${value.length} characters (not shown: secret)`;
  return describeValue(maskSecrets(value));
}
