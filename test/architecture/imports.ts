/**
 * Reads what a TypeScript file imports, for the architecture tests: every `import … from`, `export … from`,
 * `import '…'` and `import('…')` with a literal specifier. Relative specifiers are resolved to repository paths
 * (`.js` written for a `.ts` file, as NodeNext wants); package specifiers are kept as written.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '../..');

export interface Import {
  /** As written in the source. */
  readonly specifier: string;
  /** Repository-relative path of the target (`src/core/errors.ts`) for a relative specifier; else the specifier. */
  readonly target: string;
  /** 1-based line of the specifier. */
  readonly line: number;
  readonly dynamic: boolean;
}

// `from '…'` covers import and export declarations over any number of lines; the others are side-effect imports
// and dynamic imports with a literal argument (a computed one is invisible here, as it is to tsc).
const IMPORT_PATTERN = /\bfrom\s*(['"])([^'"\n]+)\1|\bimport\s*(['"])([^'"\n]+)\3|\bimport\s*\(\s*(['"])([^'"\n]+)\5\s*\)/g;

/** The imports of `text`, the source of repository file `file`. Comments are not skipped: keep them free of imports. */
export function importsOf(file: string, text: string): Import[] {
  const found: Import[] = [];
  for (const m of text.matchAll(IMPORT_PATTERN)) {
    const specifier = (m[2] ?? m[4] ?? m[6])!;
    const target = specifier.startsWith('.') ? join(dirname(file), specifier).replace(/\.js$/, '.ts') : specifier;
    const line = text.slice(0, m.index).split('\n').length;
    found.push({ specifier, target, line, dynamic: m[6] !== undefined });
  }
  return found;
}

/** Repository-relative paths of every `.ts` file under `dir` (repository-relative), sorted. */
export function typescriptFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => relative(ROOT, join(ROOT, dir, f)))
    .sort();
}

/** The imports of repository file `file`, read from disk. */
export function readImports(file: string): Import[] {
  return importsOf(file, readFileSync(join(ROOT, file), 'utf8'));
}
