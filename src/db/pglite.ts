import { spawn } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { createGunzip } from 'node:zlib';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';
import { tuningOff } from '../core/bench-switch.js';
import { extractTar } from './untar.js';

/**
 * How koppel runs PGlite so that one process stays small (issue 14). PGlite's WebAssembly memory grows and never
 * shrinks, so every setting here is about the peak a process reaches once:
 * - WebAssembly compiled by V8's baseline compiler only (`--liftoff-only`, set before PGlite's module is compiled):
 *   V8 otherwise recompiles the hot part of Postgres with TurboFan in the first seconds of use, and the code and
 *   compiler memory stay (`koppel migrate` on a new folder 262 -> 155 MiB, an open folder 194 -> 151 MiB). Queries
 *   ran at the same speed within this machine's noise (bench/REPORT.md, embedded default). It applies to the
 *   whole process, which runs no other WebAssembly.
 * - shared_buffers 16MB instead of the 128MB initdb writes: the buffer pool is part of the WASM memory, and a
 *   run that reads or writes a few tens of MB of tables touches all of it (open + 10k upserts: 376 -> 237 MiB).
 *   Command-line settings win over postgresql.conf, so folders created before this get it too.
 * - No initdb in a long-lived process: PGlite's initdb starts a second PGlite, copies its whole WASM memory and
 *   runs a third module (~800 MiB, kept for the life of the process). A new folder is instead filled from a
 *   data folder prepared once (pglite-template/, made by `npm run pglite-template`); see prepareDataDir.
 *   The prepared folder has the migrations of its day applied, so `koppel migrate` on a new folder runs only
 *   those added since (test/db/pglite.test.ts checks it matches initdb + migrations).
 * - The JS heap grown by half, not V8's default factor, once a process opens PGlite (`--heap-growing-percent=50`):
 *   the WASM memory already takes ~85 MiB of the budget, and a 100k catalog import let the old generation reach
 *   ~140 MiB over ~35 MiB live. Set here, not in the image's flags, because on the server it only cost CPU
 *   (+14-17 % in two pipelines measured); figures in bench/REPORT.md.
 */
export const PGLITE_SETTINGS = ['shared_buffers=16MB'];

// pglite-template/ sits beside src/ in the repository and beside dist/ in a build (it is data, not compiled).
const HERE = dirname(fileURLToPath(import.meta.url));
export const PGLITE_TEMPLATE_DIR = [resolve(HERE, '../../pglite-template'), resolve(HERE, '../../../pglite-template')].find((d) => existsSync(d)) ?? resolve(HERE, '../../pglite-template');

const PGLITE_DIST = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));

/** The installed PGlite's version: a prepared data folder only fits the PGlite (Postgres build) that made it. */
export function installedPgliteVersion(): string {
  return (JSON.parse(readFileSync(join(PGLITE_DIST, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** The shipped prepared data folder for a PGlite version (a gzipped tar of a fresh initdb). */
export function templateFile(version = installedPgliteVersion(), templateDir = PGLITE_TEMPLATE_DIR): string {
  return join(templateDir, `pgdata-pglite-${version}.tar.gz`);
}

/** Options every koppel PGlite is opened with (the WASM module and file bundle are shared, see pgliteAssets). */
export async function pgliteOptions(): Promise<PGliteOptions> {
  const { PGlite } = await import('@electric-sql/pglite');
  const settings = PGLITE_SETTINGS.flatMap((s) => ['-c', s]);
  return {
    ...(await pgliteAssets()),
    startParams: [...PGlite.defaultStartParams, ...settings],
    initDbStartParams: settings, // written into the new folder's postgresql.conf as well
  };
}

/**
 * Makes `dir` a PGlite data folder unless it already is one, without running initdb in this process:
 * from the shipped template when it fits the installed PGlite, else by initdb in a short-lived child process
 * (its memory goes when it exits). PG_VERSION is written last, so a start that was interrupted half-way is
 * simply redone (PGlite takes a folder with PG_VERSION as complete).
 */
export async function prepareDataDir(dir: string, templateDir = PGLITE_TEMPLATE_DIR): Promise<'existing' | 'template' | 'initdb'> {
  if (existsSync(join(dir, 'PG_VERSION'))) return 'existing';
  const template = templateFile(installedPgliteVersion(), templateDir);
  if (existsSync(template)) {
    await extractTar(gunzipFile(template), dir, 'PG_VERSION');
    return 'template';
  }
  const tarPath = join(dir, '.koppel-initdb.tar');
  await runInitdbChild(tarPath);
  try {
    await extractTar(createReadStream(tarPath), dir, 'PG_VERSION');
  } finally {
    rmSync(tarPath, { force: true });
  }
  return 'initdb';
}

/** A gzipped file's bytes as they are unpacked; an error reading the file reaches the reader through the stream. */
function gunzipFile(path: string): AsyncIterable<Uint8Array> {
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  void pipeline(createReadStream(path), gunzip).catch(() => undefined);
  return gunzip;
}

/** initdb in its own process (pglite-initdb.ts), writing the new data folder as a tar to `out`. */
async function runInitdbChild(out: string): Promise<void> {
  const ts = import.meta.url.endsWith('.ts'); // under tsx/vitest the child is TypeScript too
  const entry = join(HERE, `pglite-initdb.${ts ? 'ts' : 'js'}`);
  const child = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), entry, out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const code = await new Promise<number>((res, rej) => {
    child.once('error', rej);
    child.once('close', (c) => res(c ?? 1));
  });
  if (code !== 0) throw new Error(`initdb (in a child process) exited with ${code}: ${stderr.trim()}`);
}

/**
 * A new data folder as an uncompressed tar, made by PGlite's initdb in memory; `fill` (the shipped template's
 * migrations) runs on it first, and a checkpoint then, so a folder made from the tar opens without WAL replay.
 */
export async function initdbTar(fill?: (pg: PGlite) => Promise<void>): Promise<Uint8Array> {
  const { PGlite } = await import('@electric-sql/pglite');
  const pg: PGlite = await PGlite.create(await pgliteOptions());
  try {
    if (fill) {
      await fill(pg);
      await pg.exec('CHECKPOINT');
    }
    return new Uint8Array(await (await pg.dumpDataDir('none')).arrayBuffer());
  } finally {
    await pg.close();
  }
}

/**
 * PGlite's compiled WASM module and file bundle, loaded once per process: compiling 10 MB of WASM costs about
 * half a second per open, which a process that opens several embedded databases (tests, the demo) pays once.
 * Immutable, so sharing it is safe.
 */
type PgliteAssets = Required<Pick<PGliteOptions, 'pgliteWasmModule' | 'fsBundle'>>;
let assets: Promise<PgliteAssets> | undefined;
function pgliteAssets(): Promise<PgliteAssets> {
  assets ??= (async () => {
    setFlagsFromString('--liftoff-only'); // before the compile below; see PGLITE_SETTINGS
    if (!tuningOff('heap-growing')) setFlagsFromString('--heap-growing-percent=50'); // see PGLITE_SETTINGS
    const [wasm, data] = await Promise.all([readFile(join(PGLITE_DIST, 'pglite.wasm')), readFile(join(PGLITE_DIST, 'pglite.data'))]);
    // The WebAssembly global exists in Node, but this project's lib settings only declare its types.
    const wasmApi = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<PgliteAssets['pgliteWasmModule']> } }).WebAssembly;
    return { pgliteWasmModule: await wasmApi.compile(wasm), fsBundle: new Blob([data]) };
  })();
  return assets;
}

/**
 * A closed PGlite's WebAssembly memory (its touched pages stay resident) goes only when V8 collects the instance,
 * and V8 does not count it as heap pressure: a process that opens the embedded database again (tests; the demo
 * did, one per step, until it shared one) held every earlier instance at once. With `--expose-gc` (the image's
 * ENTRYPOINT, `npm run demo`) koppel collects once the caller has let go of the closed database (the next turn of
 * the event loop); without the flag, a no-op. Figures: bench/REPORT.md, embedded-default.
 */
export function releaseClosedPglite(): void {
  if (globalThis.gc) setImmediate(() => globalThis.gc?.()).unref();
}
