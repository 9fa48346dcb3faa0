/**
 * Where PGlite's memory goes (issue 14), PGlite alone: each variant is one process (bench/lib/pglite-probe.mjs)
 * that opens a data folder and upserts and reads 10,000 rows; its peak RSS after opening and at the end.
 * The variants change one thing at a time from PGlite as koppel opened it before issue 14 to as it opens it now
 * (src/db/pglite.ts). Run `--rounds` times, interleaved; peak RSS is the median of the rounds.
 *
 *   npm run bench -- pglite-memory        npx tsx bench/pglite-memory.ts [--rounds 3]
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { templateFile } from '../src/db/pglite.js';
import { measureProcess } from './lib/measure-process.js';
import { reportResult } from './lib/bench-result.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const PROBE = resolve('bench/lib/pglite-probe.mjs');
const TEMPLATE = templateFile();

interface Variant {
  name: string;
  flags: string[];
  sharedBuffers: string;
  /** 'initdb': a new folder, PGlite's own initdb in the process; 'template': a new folder from the shipped template; 'existing': a folder made before. */
  folder: 'initdb' | 'template' | 'existing';
}
const VARIANTS: Variant[] = [
  { name: 'new folder, initdb in the process, 128MB, TurboFan (before)', flags: [], sharedBuffers: 'default', folder: 'initdb' },
  { name: 'new folder from the template (its conf: 16MB), TurboFan', flags: [], sharedBuffers: 'default', folder: 'template' },
  { name: 'existing folder, shared_buffers 128MB, TurboFan (before)', flags: [], sharedBuffers: '128MB', folder: 'existing' },
  { name: 'existing folder, shared_buffers 16MB, TurboFan', flags: [], sharedBuffers: '16MB', folder: 'existing' },
  { name: 'existing folder, shared_buffers 128MB, --liftoff-only', flags: ['--liftoff-only'], sharedBuffers: '128MB', folder: 'existing' },
  { name: 'existing folder, shared_buffers 4MB, --liftoff-only', flags: ['--liftoff-only'], sharedBuffers: '4MB', folder: 'existing' },
  { name: 'existing folder, shared_buffers 16MB, --liftoff-only (now)', flags: ['--liftoff-only'], sharedBuffers: '16MB', folder: 'existing' },
  { name: 'new folder from the template, 16MB, --liftoff-only (now)', flags: ['--liftoff-only'], sharedBuffers: '16MB', folder: 'template' },
];

interface Probe {
  open: { peakRssMiB: number; seconds: number };
  work: { peakRssMiB: number; seconds: number };
}

const dir = await mkdtemp(join(tmpdir(), 'koppel-pglite-memory-'));
const results = new Map<string, Probe[]>();
try {
  // The "existing" folder: made once from the template, opened once so it has the probe table; copied per run.
  const existing = join(dir, 'existing');
  await probe(existing, [], '16MB', TEMPLATE);
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const v of VARIANTS) {
      const folder = join(dir, `run-${round}-${VARIANTS.indexOf(v)}`);
      if (v.folder === 'existing') await cp(existing, folder, { recursive: true });
      const p = await probe(folder, v.flags, v.sharedBuffers, v.folder === 'template' ? TEMPLATE : '-');
      results.set(v.name, [...(results.get(v.name) ?? []), p]);
      await rm(folder, { recursive: true, force: true });
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const out = (s: string) => process.stdout.write(`${s}\n`);
out(`PGlite alone (no koppel), plain node; open a folder, then upsert + read 10,000 rows; median of ${args.rounds} rounds`);
out(`${'variant'.padEnd(64)} | peak RSS after open | peak RSS at end | open s | work s`);
const rows = VARIANTS.map((v) => {
  const ps = results.get(v.name)!;
  const row = { variant: v.name, openPeakMiB: median(ps.map((p) => p.open.peakRssMiB)), endPeakMiB: median(ps.map((p) => p.work.peakRssMiB)), openSeconds: median(ps.map((p) => p.open.seconds)), workSeconds: median(ps.map((p) => p.work.seconds)) };
  out(`${v.name.padEnd(64)} | ${`${row.openPeakMiB} MiB`.padStart(18)} | ${`${row.endPeakMiB} MiB`.padStart(15)} | ${row.openSeconds.toFixed(2).padStart(6)} | ${row.workSeconds.toFixed(2).padStart(6)}`);
  return row;
});
reportResult({
  bench: 'pglite-memory',
  figure: { name: 'MiB peak RSS, PGlite as koppel opens it now (existing folder, 10k rows)', value: rows.at(-2)!.endPeakMiB },
  raw: { name: 'MiB as before issue 14 (new folder, initdb in the process)', value: rows[0]!.endPeakMiB },
  ratio: Number((rows.at(-2)!.endPeakMiB / rows[0]!.endPeakMiB).toFixed(2)),
  rows,
});

async function probe(folder: string, flags: string[], sharedBuffers: string, template: string): Promise<Probe> {
  const r = await measureProcess(process.execPath, [...flags, PROBE, folder, sharedBuffers, template]);
  if (r.code !== 0) throw new Error(`pglite-probe ${flags.join(' ')} ${sharedBuffers}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Probe;
}
