/**
 * `npm run demo`'s first step: the demo, koppel's sources, the migrations and the sandboxes as plain JavaScript in
 * dist-demo/ (same layout as the checkout, so the paths koppel finds from its own modules still resolve), which
 * the demo then runs under plain node. Under tsx, its loader (a second V8 on its own thread, and another in the
 * catalog scan's worker) cost the demo ~35-55 MiB of its peak (issue 14; bench/REPORT.md, embedded default).
 * esbuild is what tsx transpiles with: same output, ahead of time, ~0.3 s. No type check (`npm run typecheck`).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const DEMO_BUILD_DIR = 'dist-demo';
const TREES = ['demo', 'src', 'migrations', 'sandbox'];

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

// Emptied first: a migration or module deleted from the sources must not live on in the build.
rmSync(DEMO_BUILD_DIR, { recursive: true, force: true });
await build({
  entryPoints: TREES.flatMap(typeScriptFiles),
  outdir: DEMO_BUILD_DIR,
  outbase: '.',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
