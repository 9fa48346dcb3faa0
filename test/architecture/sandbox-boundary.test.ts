import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, importsOf, readImports, typescriptFiles } from './imports.js';

/**
 * The sandboxes (`sandbox/`) and the demo (`demo/`) are test doubles with demo credentials: they live outside
 * `src/`, which tsconfig.build.json compiles into dist/ and the image. A static import from `src/` would pull them
 * back into the build, so none may exist. The one way in is `koppel sandbox`'s dynamic import of a computed
 * path (src/cli/commands/sandbox.ts), which resolves only in a checkout; scripts/check-production-build.sh
 * checks the built dist/ itself.
 */
const OUTSIDE_THE_BUILD = /^(sandbox|demo)\//;
const THE_COMMAND = 'src/cli/commands/sandbox.ts';

describe('src/ does not import the sandbox or demo tree', () => {
  it('no file under src/ imports from sandbox/ or demo/', () => {
    const files = typescriptFiles('src');
    const leaks = files.flatMap((file) =>
      readImports(file)
        .filter((i) => OUTSIDE_THE_BUILD.test(i.target))
        .map((i) => `${file}:${i.line} imports ${i.specifier}`),
    );
    expect(leaks).toEqual([]);
  });

  it('only the sandbox command names a path into the sandbox or demo tree', () => {
    // A path in a string (`new URL('../../sandbox/…', import.meta.url)`) is how a computed import gets in.
    const naming = typescriptFiles('src').filter((file) => /['"`](\.\.\/)+(sandbox|demo)\//.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(naming).toEqual([THE_COMMAND]);
  });

  it('the reader sees the imports the check relies on', () => {
    // Guards against a check that passes because it reads nothing: these are real imports of this repository.
    expect(readImports('src/cli/program.ts').map((i) => i.target)).toContain(THE_COMMAND);
    expect(readImports('demo/sandbox-host.ts').map((i) => i.target)).toContain('sandbox/start-all.ts');
    const dynamic = readImports('sandbox/start-all.ts').filter((i) => i.dynamic).map((i) => i.target);
    expect(dynamic).toContain('sandbox/ambita/server.ts');
  });

  it('a static, type-only, re-export or literal dynamic import from src/ into the sandbox tree is caught', () => {
    const source = [
      "import { startAllSandboxes } from '../../../sandbox/start-all.js';",
      "import type { SandboxHandle } from '../../../sandbox/kit.js';",
      "export { writeExampleCatalog } from '../../../demo/planogram-catalog-data.js';",
      "const m = await import('../../../sandbox/ambita/server.js');",
    ].join('\n');
    const targets = importsOf(THE_COMMAND, source).filter((i) => OUTSIDE_THE_BUILD.test(i.target));
    expect(targets.map((i) => [i.target, i.line])).toEqual([
      ['sandbox/start-all.ts', 1],
      ['sandbox/kit.ts', 2],
      ['demo/planogram-catalog-data.ts', 3],
      ['sandbox/ambita/server.ts', 4],
    ]);
  });
});
