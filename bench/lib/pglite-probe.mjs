// One PGlite measurement for bench/embedded-default.ts's "where the memory goes" table, PGlite alone (no koppel):
//   node [--liftoff-only] bench/lib/pglite-probe.mjs <data dir> <shared_buffers|default> <template.tar.gz|->
// Opens the folder (running PGlite's own initdb when it is new and no template is given; extracting the template
// with `tar` otherwise), upserts 10,000 rows of ~600 bytes in batches of 1,000, reads them back, and prints
// one JSON line: peak RSS (VmHWM) after open and at the end, MiB, and the seconds each took.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

const [dir, sharedBuffers, template] = process.argv.slice(2);
const hwm = () => Math.round(Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024);
if (template !== '-' && !existsSync(join(dir, 'PG_VERSION'))) {
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['xzf', template, '-C', dir]);
}
const t0 = performance.now();
const startParams = sharedBuffers === 'default' ? undefined : [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`];
const pg = await PGlite.create(dir, startParams ? { startParams } : {});
const open = { peakRssMiB: hwm(), seconds: (performance.now() - t0) / 1000 };
const t1 = performance.now();
await pg.exec('create table if not exists probe (id int primary key, a text, b jsonb)');
for (let r = 0; r < 10; r++) {
  const params = [];
  const values = [];
  for (let i = 0; i < 1000; i++) {
    params.push(r * 1000 + i, `${'x'.repeat(200)}${i}`, JSON.stringify({ k: i, s: 'y'.repeat(300) }));
    values.push(`($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3})`);
  }
  await pg.query(`insert into probe values ${values.join(',')} on conflict (id) do update set a = excluded.a, b = excluded.b`, params);
}
await pg.query('select * from probe');
const work = { peakRssMiB: hwm(), seconds: (performance.now() - t1) / 1000 };
await pg.close();
process.stdout.write(`${JSON.stringify({ open, work })}\n`);
