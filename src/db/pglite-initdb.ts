/**
 * `node pglite-initdb.js <out>`: runs PGlite's initdb and writes the new data folder to <out> as a tar (gzipped
 * when <out> ends in .gz), then exits, so initdb's ~800 MiB of WASM memory leave with this process.
 * koppel starts it when no prepared folder fits the installed PGlite; `npm run pglite-template` uses it to make one.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { initdbTar, templateFile } from './pglite.js';

const out = process.argv[2] === '--template' ? templateFile() : process.argv[2];
if (!out) {
  process.stderr.write('usage: pglite-initdb <out.tar[.gz]> | --template\n');
  process.exit(2);
}
const tar = await initdbTar();
writeFileSync(out, out.endsWith('.gz') ? gzipSync(tar, { level: 9 }) : tar);
if (process.argv[2] === '--template') process.stdout.write(`wrote ${out}\n`);
