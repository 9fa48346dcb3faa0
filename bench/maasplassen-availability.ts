/**
 * 50,000 availability entries through the Maasplassen sandbox (in its own process): first push and a no-change
 * re-run, on the embedded database and (when DATABASE_URL is set) on the Postgres server, next to the raw
 * rate of the same signed requests (same payload) sent with fetch at the same concurrency. koppel is measured
 * as production runs it: `node <the image's flags> dist/src/cli/main.js run` (built JS, no tsx, log level
 * info), its rate from the run's own `durationMs`, its CPU and peak RSS the whole process's. Rounds are
 * interleaved (raw, PGlite, Postgres per round; `--rounds 3`), each in a fresh process on a fresh database;
 * best and median are printed. At 10,000 entries a tenth of a run was fixed cost (run records, fleet, first
 * requests): 50,000 measures the rate. `--entries N` changes it, `--no-build` skips `npm run build`. The
 * sandbox's own cost is the same for both sides. BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the
 * koppel runs.
 * Each round also times, on each database, the one part of a first push raw does not do: recording a state row
 * per entry (the same statements koppel sends, without reading, mapping or pushing). Checkpoints follow the
 * pushes and one database takes one statement at a time, so no first push can be faster: that rate ÷ raw's is
 * the ceiling of the ratio on that database.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../demo/availability-data.js';
import { startSandboxProcess } from '../demo/sandbox-process.js';
import { maasplassenSignature } from '../src/upstreams/maasplassen/hmac.js';
import { bestAndMedian, buildDist, measureProcess, roundRatios, roundRatiosLine } from './lib/measure-process.js';
import { extraNodeFlags, productionNodeFlags } from './lib/production-node-flags.js';
import { peakRssMiB, reportResult } from './lib/bench-result.js';

const { values: args } = parseArgs({
  options: {
    entries: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '3' },
    part: { type: 'string' },
    database: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
  },
});
const CLI = resolve('dist/src/cli/main.js');
const ENTRIES = Number(args.entries);
const CHUNK = 200;
const CONCURRENCY = 4;

const isChild = args.part !== undefined; // only `--part raw` runs as a child
const boats = ['91', '92', '93', '94', '95', '96', '97', '98', '99'];
const rows = exampleAvailability(boats, dateRange('2027-01-01', Math.ceil(ENTRIES / boats.length))).slice(0, ENTRIES);
const sandbox = isChild ? undefined : await startSandboxProcess();
const maasplassen = sandbox?.sandboxes.find((s) => s.name === 'maasplassen')!.sandbox;
const dir = isChild ? dirname(process.env.BENCH_CSV!) : await mkdtemp(join(tmpdir(), 'koppel-bench-maas-'));
const csv = isChild ? process.env.BENCH_CSV! : join(dir, 'availability.csv');
if (!isChild) await writeAvailabilityCsv(csv, rows);
const shared = isChild ? (JSON.parse(process.env.BENCH_SANDBOX!) as { base: string; creds: Record<string, string | number> }) : undefined;
const creds = shared?.creds ?? maasplassen!.credentials;
const base = shared?.base ?? maasplassen!.url;

/** koppel's first push (`run --full`) and a no-change re-run, each a `koppel run` process of its own. */
async function measure(database: Record<string, unknown>, label: string) {
  const config = join(dir, `${label}.yaml`);
  await writeFile(
    config,
    stringify({
      database,
      log: { level: 'info' }, // production's default
      upstreams: { maasplassen: { base_url: base, apikey: creds.apikey, secret: creds.secret, company_id: Number(creds.company_id), rate: { concurrency: CONCURRENCY, per_second: 10_000 } } },
      pipelines: [{ name: 'bench', type: 'maasplassen-availability', source: { csv }, chunk_size: CHUNK }],
    }),
  );
  const run = async (extra: string[]) => {
    const p = await measureProcess(process.execPath, [...productionNodeFlags(), ...extraNodeFlags(), CLI, 'run', 'bench', ...extra], { ...process.env, KOPPEL_CONFIG: config });
    if (p.code !== 0) throw new Error(`koppel run ${extra.join(' ')} exited ${p.code}: ${p.stderr.slice(0, 2000)}`);
    return { process: p, finished: runFinished(p.stdout) };
  };
  const first = await run(['--full']);
  const again = await run([]);
  const ms = Math.round(first.finished.durationMs);
  return {
    database: label,
    first: {
      outcome: first.finished.outcome,
      pushed: first.finished.counts.created + first.finished.counts.updated,
      ms,
      entriesPerSec: Math.round((ENTRIES / ms) * 1000),
      cpuSeconds: Number(first.process.cpuSeconds.toFixed(2)),
    },
    rerun: { outcome: again.finished.outcome, unchanged: again.finished.counts.unchanged, ms: Math.round(again.finished.durationMs) },
    peakRssMiB: first.process.peakRssMiB,
  };
}

interface RunFinished {
  durationMs: number;
  counts: { created: number; updated: number; unchanged: number };
  outcome: string;
}

/** The `run finished` line koppel logs at the end of a run. */
function runFinished(stdout: string): RunFinished {
  const line = stdout.split('\n').findLast((l) => l.includes('"run finished"'));
  if (!line) throw new Error('no "run finished" line in the output');
  return JSON.parse(line) as RunFinished;
}

/** The building block: the same signed chunks POSTed with fetch, CONCURRENCY at a time. */
async function rawFetch() {
  const chunks: string[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    // The bytes koppel sends for these rows (mappings/maasplassen-availability.yaml): both price options.
    const availability = rows.slice(i, i + CHUNK).map((r) => ({ boat: Number(r.boat), date: r.date, prizes: r.available ? prizesOf(r) : null }));
    chunks.push(JSON.stringify({ company: Number(creds.company_id), availability }));
  }
  const url = `${base}/company/${creds.company_id}/availability/update?apikey=${encodeURIComponent(creds.apikey!)}`;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < chunks.length) {
        const payload = chunks[next++]!;
        const body = new URLSearchParams({ payload, hmac: maasplassenSignature(String(creds.secret), payload) });
        const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        if (!res.ok) throw new Error(`raw push failed: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
  const ms = performance.now() - t0;
  return { ms: Math.round(ms), entriesPerSec: Math.round((ENTRIES / ms) * 1000), requests: chunks.length, cpuSeconds: cpuSeconds(c0) };
}

/** Rows a state insert carries in a first push: its checkpoints coalesce to 600 in most statements at concurrency 4. */
const FLOOR_STATEMENT_ROWS = 600;

/**
 * Recording the first push's states alone: koppel's own state store inserting a row per entry with the hash koppel
 * stores for it, FLOOR_STATEMENT_ROWS a statement, on a fresh database. Only the inserts are timed.
 */
async function stateFloor(database: Record<string, unknown>) {
  // Loaded here, not at the top: the raw part's process (and its peak RSS) has no database code.
  const [{ contentHash }, { ItemStateStore }, { databaseConfigSchema }, { openDatabase }] = await Promise.all([
    import('../src/core/content-hash.js'),
    import('../src/core/item-state.js'),
    import('../src/db/config.js'),
    import('../src/db/database.js'),
  ]);
  const states = rows.map((r) => ({ key: `${r.boat}|${r.date}`, hash: contentHash(r.available ? prizesOf(r) : null), remoteId: null, data: null }));
  const db = await openDatabase(databaseConfigSchema.parse({ ...database, pool_size: 2 }));
  try {
    const store = new ItemStateStore(db.kysely, 'bench', 1);
    const t0 = performance.now();
    for (let i = 0; i < states.length; i += FLOOR_STATEMENT_ROWS) await store.insertMany(states.slice(i, i + FLOOR_STATEMENT_ROWS));
    const ms = performance.now() - t0;
    return { ms: Math.round(ms), entriesPerSec: Math.round((ENTRIES / ms) * 1000) };
  } finally {
    await db.close();
  }
}

function prizesOf(r: (typeof rows)[number]) {
  return [
    { desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: r.dayCents },
    { desc: 'Halve dag', desc_de: 'Halber Tag', cents: r.halfDayCents },
  ];
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return Number(((u.user + u.system) / 1e6).toFixed(2));
}

/**
 * Each measurement runs in its own process, so its peak RSS is its own: raw as `--part raw`, koppel as the built
 * CLI, on a fresh database: a copy of an embedded folder migrated once (`koppel migrate` creates it), or a new
 * Postgres database.
 */
const part = args.part;
try {
  if (part === 'raw') {
    process.stdout.write(`${JSON.stringify({ ...(await rawFetch()), peakRssMiB: peakRssMiB() })}\n`);
  } else if (part === 'state-floor') {
    process.stdout.write(`${JSON.stringify(await stateFloor(JSON.parse(args.database!) as Record<string, unknown>))}\n`);
  } else {
    if (!args['no-build']) buildDist();
    const pgliteTemplate = join(dir, 'pglite-migrated');
    await migrate({ pglite_dir: pgliteTemplate });
    const env = { BENCH_CSV: csv, BENCH_SANDBOX: JSON.stringify({ base, creds }) };
    const samples: Record<string, Sample[]> = { raw: [], pglite: [], postgres: [] };
    const floors: Record<string, FloorSample[]> = { pglite: [], postgres: [] };
    for (let round = 0; round < Number(args.rounds); round++) {
      samples.raw!.push(JSON.parse(await runChild(['bench/maasplassen-availability.ts', '--entries', args.entries!, '--part', 'raw'], env)) as Sample);
      samples.pglite!.push(await onFreshPglite(pgliteTemplate, round, (database) => measure(database, 'pglite')));
      floors.pglite!.push(await onFreshPglite(pgliteTemplate, round, (database) => stateFloorChild(database, env)));
      if (process.env.DATABASE_URL) {
        samples.postgres!.push(await onFreshPostgres(process.env.DATABASE_URL, round, (database) => measure(database, 'postgres')));
        floors.postgres!.push(await onFreshPostgres(process.env.DATABASE_URL, round, (database) => stateFloorChild(database, env)));
      }
    }
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`${ENTRIES} entries, chunks of ${CHUNK}, concurrency ${CONCURRENCY}, ${args.rounds} rounds interleaved (raw, PGlite, Postgres), each in a fresh process and database`);
    out(`koppel: node ${productionNodeFlags().join(' ')} dist/src/cli/main.js run, rate from its durationMs; CPU: raw's pushes alone, koppel's whole process (startup included)`);
    out(`${'side'.padEnd(28)} ${'entries/s best/med'.padStart(20)} ${'wall ms med'.padStart(12)} ${'CPU s med'.padStart(10)} ${'requests'.padStart(9)} ${'re-run ms med'.padStart(14)} ${'peak RSS med'.padStart(13)}`);
    const sides: [string, Sample[]][] = [['raw signed fetch', samples.raw!], ['koppel first push, PGlite', samples.pglite!], ['koppel first push, Postgres', samples.postgres!]];
    const summary: Record<string, { best: number; median: number; cpuMedian: number }> = {};
    const head = (s: Sample) => (s.first ?? s) as RunFigures;
    for (const [label, list] of sides) {
      if (list.length === 0) continue;
      const rate = bestAndMedian(list.map((s) => head(s).entriesPerSec));
      const ms = bestAndMedian(list.map((s) => head(s).ms), false);
      const cpu = bestAndMedian(list.map((s) => head(s).cpuSeconds), false);
      const rerun = list[0]!.rerun ? `${bestAndMedian(list.map((s) => s.rerun!.ms), false).median}` : '';
      const rss = bestAndMedian(list.map((s) => s.peakRssMiB), false).median;
      const requests = head(list[0]!).requests;
      summary[label] = { best: rate.best, median: rate.median, cpuMedian: cpu.median };
      out(`${label.padEnd(28)} ${`${rate.best}/${rate.median}`.padStart(20)} ${String(ms.median).padStart(12)} ${cpu.median.toFixed(2).padStart(10)} ${String(requests ?? '').padStart(9)} ${rerun.padStart(14)} ${`${rss} MiB`.padStart(13)}`);
    }
    const raw = summary['raw signed fetch']!;
    const rateOf = (s: Sample) => head(s).entriesPerSec;
    const perRound: Record<string, ReturnType<typeof roundRatios>> = {};
    for (const [label, list] of sides.slice(1)) {
      const k = summary[label];
      if (!k) continue;
      out(`${label} vs raw: ${(k.best / raw.best).toFixed(2)} best/best, ${(k.median / raw.median).toFixed(2)} median/median`);
      perRound[label] = roundRatios(list.map(rateOf), samples.raw!.map(rateOf));
      out(roundRatiosLine(`${label} vs raw`, perRound[label]));
    }
    const ceilings: Record<string, { median: number; rounds: ReturnType<typeof roundRatios> }> = {};
    for (const [database, label] of [['pglite', 'PGlite'], ['postgres', 'Postgres']] as const) {
      const list = floors[database]!;
      if (list.length === 0) continue;
      const rate = bestAndMedian(list.map((f) => f.entriesPerSec));
      out(`state recording alone, ${label}: ${rate.best}/${rate.median} entries/s best/median (${FLOOR_STATEMENT_ROWS} rows a statement, koppel's store, nothing else)`);
      ceilings[database] = { median: rate.median, rounds: roundRatios(list.map((f) => f.entriesPerSec), samples.raw!.map(rateOf)) };
      out(roundRatiosLine(`ceiling of the ${label} ratio`, ceilings[database]!.rounds, 'state recording alone ÷ raw'));
    }
    const main = summary['koppel first push, PGlite']!;
    reportResult({
      bench: 'maasplassen-availability',
      entries: ENTRIES,
      figure: { name: `entries/s, first push (embedded db, median of ${args.rounds})`, value: main.median },
      raw: { name: 'raw signed fetch entries/s', value: raw.median },
      ratio: Number((main.median / raw.median).toFixed(2)),
      roundRatios: perRound,
      stateRecordingAlone: ceilings,
      summary,
      samples,
    });
  }
} finally {
  if (part === undefined) {
    await sandbox?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface RunFigures {
  ms: number;
  entriesPerSec: number;
  requests?: number;
  cpuSeconds: number;
}
/** One side's figures: raw's at the top level, koppel's under `first` (and its re-run). */
interface Sample extends Partial<RunFigures> {
  first?: RunFigures;
  rerun?: { ms: number };
  peakRssMiB: number;
}

interface FloorSample {
  ms: number;
  entriesPerSec: number;
}

/** `--part state-floor` in a process of its own, with the image's node flags, on a migrated database. */
async function stateFloorChild(database: Record<string, unknown>, env: Record<string, string>): Promise<FloorSample> {
  const args = ['bench/maasplassen-availability.ts', '--entries', String(ENTRIES), '--part', 'state-floor', '--database', JSON.stringify(database)];
  return JSON.parse(await runChild(args, env, productionNodeFlags())) as FloorSample;
}

/** `use` on a copy of the migrated embedded folder, removed afterwards. */
async function onFreshPglite<T>(template: string, round: number, use: (database: Record<string, unknown>) => Promise<T>): Promise<T> {
  const pgliteDir = join(dir, `pglite-${round}`);
  await cp(template, pgliteDir, { recursive: true });
  try {
    return await use({ pglite_dir: pgliteDir });
  } finally {
    await rm(pgliteDir, { recursive: true, force: true });
  }
}

/** `use` on a new, migrated database on the server of `admin`, dropped afterwards. */
async function onFreshPostgres<T>(admin: string, round: number, use: (database: Record<string, unknown>) => Promise<T>): Promise<T> {
  const server = await freshPostgres(admin, round);
  try {
    await migrate({ url: server.url });
    return await use({ url: server.url });
  } finally {
    await server.drop();
  }
}

/** A new database on the server of `admin`, dropped after the round. */
async function freshPostgres(admin: string, round: number): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `koppel_bench_maas_${process.pid}_${round}`;
  const query = async (text: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await query(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => query(`drop database if exists ${name} with (force)`) };
}

/** `koppel migrate` (the built CLI) on a new database. */
async function migrate(database: Record<string, unknown>): Promise<void> {
  const path = join(dir, 'migrate.yaml');
  await writeFile(path, stringify({ database, log: { level: 'warn' } }));
  const p = await measureProcess(process.execPath, [CLI, 'migrate'], { ...process.env, KOPPEL_CONFIG: path });
  if (p.code !== 0) throw new Error(`koppel migrate: ${p.stderr.slice(0, 2000)}`);
}

function runChild(args: string[], env: Record<string, string>, nodeFlags: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...nodeFlags, '--import', 'tsx', ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${args.join(' ')} failed: ${stderr || err.message}`));
      resolve(stdout.trim().split('\n').pop() ?? '');
    });
  });
}
