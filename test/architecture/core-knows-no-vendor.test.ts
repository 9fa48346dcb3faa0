/**
 * The core knows no vendor (issue 15): no file under src/core, src/config or src/db imports from src/pipelines or
 * src/upstreams, or names a service, in code or comments. The services reach the core as registries handed in by
 * the edge (src/registries.ts); adding a fifth one touches nothing here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, importsOf, typescriptFiles } from './imports.js';

const CORE_DIRS = ['src/core', 'src/config', 'src/db'];
const EDGE_DIRS = ['src/pipelines/', 'src/upstreams/'];
/** The services' names and the words that stand for them (a host name, a product). */
const VENDOR = /planviewer|ambita|maasplassen|planogram|zvisuel|planoapi/i;

/**
 * Named, temporary exceptions (none since the order queue moved to src/orders/). A path that no longer exists is
 * no exception any more; one that breaks the rule no more must be taken off this list (the last test says so).
 */
const TEMPORARY: Record<string, string> = {};

interface Finding {
  file: string;
  line: number;
  what: string;
}

/** What in `text` (the source of `file`) breaks the rule: imports from the edge, lines naming a service. */
function findings(file: string, text: string): Finding[] {
  const imports = importsOf(file, text)
    .filter((i) => EDGE_DIRS.some((dir) => i.target.startsWith(dir)))
    .map((i) => ({ file, line: i.line, what: `imports ${i.target}` }));
  const names = text.split('\n').flatMap((line, i) => (VENDOR.test(line) ? [{ file, line: i + 1, what: `names a service: ${line.trim().slice(0, 100)}` }] : []));
  return [...imports, ...names];
}

describe('core knows no vendor', () => {
  it('finds no import from src/pipelines or src/upstreams, and no service name, under src/core, src/config, src/db', () => {
    const files = CORE_DIRS.flatMap((dir) => typescriptFiles(dir));
    expect(files.length).toBeGreaterThan(30);
    const found = files.filter((f) => !(f in TEMPORARY)).flatMap((f) => findings(f, readFileSync(join(ROOT, f), 'utf8')));
    expect(found.map((f) => `${f.file}:${f.line} ${f.what}`)).toEqual([]);
  });

  it('would catch a relative import of the edge, a type-only one too, and a service named in a comment', () => {
    const text = [
      "import { pipelineTypes } from '../pipelines/index.js';",
      "import type { AmbitaClient } from '../upstreams/ambita/client.js';",
      "import { sleep } from './abortable-sleep.js';",
      '/** as Maasplassen does */',
    ].join('\n');
    expect(findings('src/core/example.ts', text).map((f) => f.line)).toEqual([1, 2, 2, 4]);
  });

  it('keeps no exception that is no longer needed', () => {
    const present = Object.keys(TEMPORARY).filter((f) => existsSync(join(ROOT, f)));
    const clean = present.filter((f) => findings(f, readFileSync(join(ROOT, f), 'utf8')).length === 0);
    expect(clean, 'these files follow the rule now: remove them from TEMPORARY').toEqual([]);
  });
});
