/**
 * The core's own costs next to the raw building blocks, measured in the same run:
 * - CSV input: koppel's `readCsv` (decoding, line numbers, per-record errors) vs plain csv-parse, both making the same
 *   row objects from 1M rows, rows/s and peak RSS, each read in its own process, interleaved (BENCH_CSV_ROUNDS, 3);
 * - CSV recovery: `readCsv` over a clean file and the same file with stray quotes (30k rows with one on row 10;
 *   8 MiB with one per MiB), the median of 9 alternating reads each. `--recovery` runs this part alone;
 * - state writes: `ItemStateStore.putMany` vs a raw batched `INSERT … ON CONFLICT` with pg, rows/s, on the Postgres
 *   server (DATABASE_URL) and on the embedded PGlite.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import pg from 'pg';
import { readCsv } from '../src/core/csv-source.js';
import { ItemStateStore } from '../src/core/item-state.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { bestAndMedian } from './lib/measure-process.js';
import { peakRssMiB, reportResult } from './lib/bench-result.js';

const CSV_ROWS = Number(process.env.BENCH_CSV_ROWS ?? 1_000_000);
const STATE_ROWS = Number(process.env.BENCH_STATE_ROWS ?? 100_000);
const CSV_ROUNDS = Number(process.env.BENCH_CSV_ROUNDS ?? 3);
const part = process.argv.includes('--part') ? process.argv[process.argv.indexOf('--part') + 1] : undefined;

async function writeCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('reference;name;width;height;depth;price;images\n');
  for (let i = 0; i < CSV_ROWS; i++) await write(`P${i};"Product ${i}, large";${(i % 500) + 10},5;${i % 300};12;${i % 1000},95;p${i}.png|p${i}_b.png\n`);
  out.end();
  await once(out, 'finish');
}

/**
 * One full read of the file, every row consumed and turned into the same object on both sides (`{ column: value }`
 * by header name, as readCsv yields it). The raw side is csv-parse's quickest way there: arrays (`columns: true`
 * defines each field as a property, its costliest step), keyed by the header in the same loop readCsv uses.
 */
async function csvPart(which: 'raw' | 'koppel', path: string) {
  const t0 = performance.now();
  let rows = 0;
  let check = 0;
  if (which === 'raw') {
    let header: string[] | undefined;
    for await (const fields of createReadStream(path).pipe(parse({ delimiter: ';' })) as AsyncIterable<string[]>) {
      if (!header) {
        header = fields;
        continue;
      }
      const values: Record<string, string> = {};
      for (let i = 0; i < header.length; i++) values[header[i]!] = fields[i]!;
      check += values.reference!.length;
      rows++;
    }
  } else {
    for await (const r of readCsv(path, { delimiter: 'auto' })) {
      if (!r.values) continue;
      check += r.values.reference!.length;
      rows++;
    }
  }
  const ms = performance.now() - t0;
  return { rows, check, ms: Math.round(ms), rowsPerSec: Math.round((rows / ms) * 1000), peakRssMiB: peakRssMiB() };
}

/** Raw and koppel reads of the same file, each in its own process, interleaved for `CSV_ROUNDS` rounds. */
async function csvFigures(file: string) {
  const runs = { raw: [] as Record<string, number>[], koppel: [] as Record<string, number>[] };
  for (let round = 0; round < CSV_ROUNDS; round++) {
    runs.raw.push(await child(['--part', 'csv:raw'], { BENCH_FILE: file }));
    runs.koppel.push(await child(['--part', 'csv:koppel'], { BENCH_FILE: file }));
  }
  if (runs.raw.some((r, i) => r.rows !== runs.koppel[i]!.rows || r.check !== runs.koppel[i]!.check)) throw new Error('readCsv and csv-parse read different rows');
  const of = (list: Record<string, number>[]) => ({
    rowsPerSec: bestAndMedian(list.map((r) => r.rowsPerSec!)),
    peakRssMiB: bestAndMedian(list.map((r) => r.peakRssMiB!), false),
  });
  return { raw: of(runs.raw), koppel: of(runs.koppel) };
}

/** A catalog-like row of ~106 characters (as test/core/csv-source.test.ts uses); a `stray` row's quote never closes. */
const recoveryRow = (i: number, stray: boolean) => `P${String(i).padStart(6, '0')};Product ${i} large;${(i % 500) + 10},5;${stray ? '"' : ''}${'d'.repeat(66)};${i % 1000},95\n`;

async function writeRecoveryCsv(path: string, rows: number, stray: Set<number>): Promise<void> {
  const out = createWriteStream(path);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('reference;name;width;description;price\n');
  for (let i = 0; i < rows; i++) await write(recoveryRow(i, stray.has(i)));
  out.end();
  await once(out, 'finish');
}

/** One full read of `path`: wall time and what it yielded. */
async function timeRead(path: string): Promise<{ ms: number; rows: number; rejected: number; charsScanned: number }> {
  let rows = 0;
  let rejected = 0;
  const meter = { bytesRead: 0, charsScanned: 0 };
  const t0 = performance.now();
  for await (const r of readCsv(path, { delimiter: 'auto' }, meter)) {
    if (r.values) rows++;
    else rejected++;
  }
  return { ms: performance.now() - t0, rows, rejected, charsScanned: meter.charsScanned };
}

/** The median of nine reads of each file, alternating (after one warm-up read), so load and JIT hit both alike. */
async function timeBoth(clean: string, broken: string) {
  await timeRead(clean);
  const runs = { clean: [] as Awaited<ReturnType<typeof timeRead>>[], broken: [] as Awaited<ReturnType<typeof timeRead>>[] };
  for (let k = 0; k < 9; k++) {
    runs.clean.push(await timeRead(clean));
    runs.broken.push(await timeRead(broken));
  }
  const median = (list: Awaited<ReturnType<typeof timeRead>>[]) => {
    const m = [...list].sort((a, b) => a.ms - b.ms)[4]!;
    return { ...m, ms: Math.round(m.ms) };
  };
  return { a: median(runs.clean), b: median(runs.broken) };
}

/** Clean file vs the same with stray quotes: how much a broken record costs beyond its own row. */
async function recoveryFigures(dir: string) {
  const cases = [
    { name: '30k rows (3 MiB), one stray quote on row 10', rows: 30_000, stray: new Set([9]) },
    { name: '80k rows (8 MiB), one stray quote per MiB', rows: 80_000, stray: new Set(Array.from({ length: 8 }, (_, k) => k * 10_000 + 4321)) },
  ];
  const out: Record<string, unknown>[] = [];
  for (const c of cases) {
    const clean = join(dir, 'recovery-clean.csv');
    const broken = join(dir, 'recovery-broken.csv');
    await writeRecoveryCsv(clean, c.rows, new Set());
    await writeRecoveryCsv(broken, c.rows, c.stray);
    const { a, b } = await timeBoth(clean, broken);
    const ratio = Number((b.ms / a.ms).toFixed(2));
    const scanned = Number((b.charsScanned / a.charsScanned).toFixed(3));
    process.stdout.write(
      `csv recovery, ${c.name}: clean ${a.ms} ms (${a.rows} rows), with stray quotes ${b.ms} ms (${b.rows} rows, ${b.rejected} rejected): ${ratio}× the clean file's time, ${scanned}× its characters scanned\n`,
    );
    out.push({ case: c.name, clean: a, broken: b, ratio, scanned });
  }
  return out;
}

async function statePart(which: 'raw' | 'koppel', kind: 'postgres' | 'pglite', dir: string) {
  const db = await openDatabase(kind === 'postgres' ? { url: process.env.DATABASE_URL!, pglite_dir: '', pool_size: 4 } : { url: '', pglite_dir: join(dir, 'pglite'), pool_size: 4 });
  await migrateToLatest(db.kysely);
  const pipeline = `bench-${which}-${process.pid}`;
  const items = Array.from({ length: STATE_ROWS }, (_, i) => ({ key: `item-${i}`, hash: `h${i}`.padEnd(64, '0'), remoteId: null, data: null }));
  const t0 = performance.now();
  if (which === 'koppel') {
    await new ItemStateStore(db.kysely, pipeline, null).putMany(items);
  } else if (kind === 'postgres') {
    // The building block: one multi-row upsert per 1000 rows over one pg connection.
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    for (let i = 0; i < items.length; i += 1000) {
      const chunk = items.slice(i, i + 1000);
      const params: unknown[] = [];
      const values = chunk.map((it, j) => {
        params.push(pipeline, it.key, it.hash);
        return `($${j * 3 + 1}, $${j * 3 + 2}, $${j * 3 + 3})`;
      });
      await client.query(
        `insert into item_state (pipeline, item_key, content_hash) values ${values.join(',')} on conflict (pipeline, item_key) do update set content_hash = excluded.content_hash`,
        params,
      );
    }
    await client.end();
  } else {
    return undefined;
  }
  const ms = performance.now() - t0;
  await db.kysely.deleteFrom('item_state').where('pipeline', '=', pipeline).execute();
  await db.close();
  return { rows: STATE_ROWS, ms: Math.round(ms), rowsPerSec: Math.round((STATE_ROWS / ms) * 1000) };
}

function child(args: string[], env: Record<string, string>): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'bench/core-building-blocks.ts', ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      if (err) return reject(new Error(stderr || err.message));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>);
    });
  });
}

if (process.argv.includes('--recovery')) {
  const dir = await mkdtemp(join(tmpdir(), 'koppel-bench-recovery-'));
  try {
    await recoveryFigures(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
} else if (part) {
  const [what, which, kind] = part.split(':') as ['csv' | 'state', 'raw' | 'koppel', 'postgres' | 'pglite' | undefined];
  const result = what === 'csv' ? await csvPart(which, process.env.BENCH_FILE!) : await statePart(which, kind!, process.env.BENCH_DIR!);
  process.stdout.write(`${JSON.stringify(result ?? null)}\n`);
} else {
  const dir = await mkdtemp(join(tmpdir(), 'koppel-bench-core-'));
  try {
    const file = join(dir, 'rows.csv');
    await writeCsv(file);
    const csv = await csvFigures(file);
    const fmt = (side: typeof csv.raw) => `${side.rowsPerSec.best}/${side.rowsPerSec.median} rows/s (peak RSS ${side.peakRssMiB.median} MiB)`;
    const csvRatio = Number((csv.koppel.rowsPerSec.median / csv.raw.rowsPerSec.median).toFixed(2));
    process.stdout.write(
      `csv ${CSV_ROWS} rows, same row objects on both sides, ${CSV_ROUNDS} interleaved rounds (best/median): koppel readCsv ${fmt(csv.koppel)} vs raw csv-parse ${fmt(csv.raw)}; median ratio ${csvRatio}\n`,
    );
    const recovery = await recoveryFigures(dir);
    const state: Record<string, unknown> = {};
    if (process.env.DATABASE_URL) {
      const raw = await child(['--part', 'state:raw:postgres'], { BENCH_DIR: dir });
      const ours = await child(['--part', 'state:koppel:postgres'], { BENCH_DIR: dir });
      state.postgres = { koppel: ours, raw };
      process.stdout.write(`state writes ${STATE_ROWS} rows on Postgres: ItemStateStore.putMany ${ours.rowsPerSec} rows/s vs raw batched upsert ${raw.rowsPerSec} rows/s\n`);
    }
    const embedded = await child(['--part', 'state:koppel:pglite'], { BENCH_DIR: dir });
    state.pglite = { koppel: embedded };
    process.stdout.write(`state writes ${STATE_ROWS} rows on PGlite: ItemStateStore.putMany ${embedded.rowsPerSec} rows/s\n`);
    const pgState = state.postgres as { koppel: { rowsPerSec: number }; raw: { rowsPerSec: number } } | undefined;
    reportResult({
      bench: 'core-building-blocks',
      figure: { name: 'CSV rows/s through readCsv (median)', value: csv.koppel.rowsPerSec.median },
      raw: { name: 'csv-parse rows/s, same row objects (median)', value: csv.raw.rowsPerSec.median },
      ratio: csvRatio,
      csv,
      recovery,
      state,
      stateRatio: pgState ? Number((pgState.koppel.rowsPerSec / pgState.raw.rowsPerSec).toFixed(2)) : null,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
