import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, koppel, writeConfig } from '../fixtures/koppel-process.js';
import { createServerDatabase, hasPostgres } from '../helpers/database.js';

/**
 * Heavy dependencies are imported where they are used (see the lazy imports in db/database.ts,
 * planogrambuilder/client.ts, core/csv-source.ts, cli/progress-display.ts and the daemon and sandbox commands),
 * and each pipeline type's code only when a pipeline of that type runs (src/pipelines/index.ts), so a `koppel`
 * process only pays for what its command and pipelines need. These tests run the CLI with a
 * module recorder and check what a Planviewer pipeline on a Postgres server loaded.
 */

const RECORDER = join(ROOT, 'test/fixtures/loaded-modules.mjs');

/** Not needed by a Planviewer pipeline on a server: gRPC (PlanogramBuilder), PGlite, /metrics, bars, CSV, sandboxes. */
const NOT_LOADED: [string, RegExp][] = [
  ['@grpc/grpc-js', /\/node_modules\/@grpc\/grpc-js\//],
  ['@grpc/proto-loader', /\/node_modules\/@grpc\/proto-loader\//],
  ['@electric-sql/pglite', /\/node_modules\/@electric-sql\/pglite\//],
  ['kysely-pglite-dialect', /\/node_modules\/kysely-pglite-dialect\//],
  ['prom-client', /\/node_modules\/prom-client\//],
  ['cli-progress', /\/node_modules\/cli-progress\//],
  ['csv-parse', /\/node_modules\/csv-parse\//],
  ['iconv-lite', /\/node_modules\/iconv-lite\//],
  // The sandbox and demo trees sit beside src/ in the checkout (ROOT): `koppel sandbox` alone imports them.
  ['a sandbox', new RegExp(`^(file://)?${escapeRegExp(ROOT)}/(sandbox|demo)/`)],
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Pipeline types' own code beyond their config schema (src/pipelines/index.ts loads it when a pipeline of that type runs).
 * A schema's own checks live beside it as `config-*.ts` and load with it.
 */
const pipelineCode = (type: string) => new RegExp(`/src/pipelines/${type}/(?!config(-[^/]+)?\\.ts$)[^/]+\\.ts$`);
const OTHER_PIPELINES = ['planogram-catalog', 'ambita-mirror', 'maasplassen-availability'];

/** Runs `koppel args` recording its modules; returns the exit, output and the loaded modules (URLs and paths). */
async function koppelLoading(dir: string, args: string[]): Promise<{ code: number | null; stderr: string; loaded: string[] }> {
  const list = join(dir, `loaded-${args[0]}.txt`);
  const res = await koppel(args, { NODE_OPTIONS: `--import=${RECORDER}`, KOPPEL_LOADED_MODULES: list });
  const loaded = (await readFile(list, 'utf8')).split('\n').filter(Boolean);
  return { code: res.code, stderr: res.stderr, loaded };
}

/** `ran`: the command ran (or checked) the Planviewer pipeline, so its code must be loaded (and only its code). */
function expectLean(loaded: string[], ran: boolean): void {
  // The recorder sees both kinds of module, or a clean result would mean nothing: pg is CommonJS, kysely and koppel are ESM.
  expect(loaded.some((m) => m.includes('/node_modules/pg/'))).toBe(true);
  expect(loaded.some((m) => m.includes('/node_modules/kysely/'))).toBe(true);
  expect(loaded.some((m) => m.endsWith('/src/pipelines/planviewer-mirror/config.ts'))).toBe(true);
  expect(loaded.some((m) => m.endsWith('/src/pipelines/planviewer-mirror/pipeline.ts'))).toBe(ran);
  const notLoaded = [...NOT_LOADED, ...OTHER_PIPELINES.map((type): [string, RegExp] => [`${type} code`, pipelineCode(type)])];
  const found = notLoaded.filter(([, pattern]) => loaded.some((m) => pattern.test(m))).map(([name]) => name);
  expect(found).toEqual([]);
}

function planviewerConfig(url: string, root: string): Record<string, unknown> {
  return {
    database: { url },
    storage: { root },
    log: { level: 'warn' },
    upstreams: { planviewer: { base_url: 'http://127.0.0.1:9', access_key: 'k', secret: 'secret-value' } },
    pipelines: [{ name: 'pv', type: 'planviewer-mirror' }],
  };
}

describe('koppel loads heavy dependencies only when a command needs them', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-lazy-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('the sandbox pattern matches the sandbox tree as the recorder writes it (URL or path)', () => {
    const pattern = NOT_LOADED.find(([name]) => name === 'a sandbox')![1];
    const kit = join(ROOT, 'sandbox/kit.ts');
    expect([kit, pathToFileURL(kit).href, join(ROOT, 'demo/main.ts')].map((m) => pattern.test(m))).toEqual([true, true, true]);
    expect(pattern.test(join(ROOT, 'src/cli/commands/sandbox.ts'))).toBe(false);
  });

  it('config check of a Planviewer pipeline on a Postgres server', async () => {
    // config check never connects, so any server URL will do.
    const config = await writeConfig(join(dir, 'check.yaml'), planviewerConfig('postgres://nobody@127.0.0.1:9/none', join(dir, 'files')));
    const res = await koppelLoading(dir, ['config', 'check', '--config', config]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    // config check runs each configured type's own settings check (its mapping files), so it loads that type's
    // code, and still no other type's and none of the heavy dependencies.
    expectLean(res.loaded, true);
  });

  describe.skipIf(!hasPostgres)('on the Postgres server', () => {
    let server: Awaited<ReturnType<typeof createServerDatabase>>;
    beforeAll(async () => {
      server = await createServerDatabase();
    });
    afterAll(async () => server?.drop());

    it('run of a Planviewer pipeline (nothing queued: it opens the database, plans and records the run)', async () => {
      const config = await writeConfig(join(dir, 'run.yaml'), planviewerConfig(server.config.url, join(dir, 'files')));
      const res = await koppelLoading(dir, ['run', 'pv', '--config', config]);
      expect(res.stderr).toContain('pv: succeeded');
      expect(res.code).toBe(0);
      expectLean(res.loaded, true);
    });
  });
});
