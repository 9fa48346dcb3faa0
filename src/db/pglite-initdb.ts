/**
 * `node pglite-initdb.js <out>`: runs PGlite's initdb and writes the new data folder to <out> as a tar (gzipped
 * when <out> ends in .gz), then exits, so initdb's ~800 MiB of WASM memory leave with this process.
 * koppel starts it when no prepared folder fits the installed PGlite; `npm run pglite-template` uses it to make one
 * (with koppel's migrations applied).
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { PGlite } from '@electric-sql/pglite';
import { initdbTar, templateFile } from './pglite.js';
import type { DB } from './schema.js';

const template = process.argv[2] === '--template';
const out = template ? templateFile() : process.argv[2];
if (!out) {
  process.stderr.write('usage: pglite-initdb <out.tar[.gz]> | --template\n');
  process.exit(2);
}
const tar = await initdbTar(template ? applyMigrations : undefined);
writeFileSync(out, out.endsWith('.gz') ? gzipSync(tar, { level: 9 }) : tar);
if (template) process.stdout.write(`wrote ${out}\n`);

/**
 * The shipped template holds the migrations of its day: a new folder then runs only those added since, which
 * cut `koppel migrate` on a new folder by ~12 % of its user CPU (1.04 -> 0.92 s, median of 5 under load).
 */
async function applyMigrations(pg: PGlite): Promise<void> {
  const [{ Kysely }, { PGliteDialect }, { migrateToLatest }] = await Promise.all([import('kysely'), import('kysely-pglite-dialect'), import('./migrate.js')]);
  // Not destroyed: that would close `pg`, which initdbTar still dumps and closes.
  await migrateToLatest(new Kysely<DB>({ dialect: new PGliteDialect(pg) }));
}
