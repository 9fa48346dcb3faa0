/**
 * 50,000 availability entries through the Maasplassen sandbox (in its own process): first push and a no-change
 * re-run, on the embedded database and (when DATABASE_URL is set) on the Postgres server, next to the raw
 * rate of the same signed requests (same payload bytes) sent with fetch at the same concurrency. Rounds are
 * interleaved (raw, PGlite, Postgres per round; `--rounds 3`), each in a fresh process on a fresh database;
 * best and median are printed, and each side's CPU seconds, which load from other work moves far less than
 * wall time. At 10,000 entries a tenth of a run was fixed cost (run records, fleet, first requests): 50,000
 * measures the rate. `--entries N` changes it. The sandbox's own cost is the same for both sides.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { stringify } from 'yaml';
import { loadPipeline } from '../src/core/registries.js';
import { openApp, parseConfig } from '../src/registries.js';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../demo/availability-data.js';
import { maasplassenSignature } from '../src/upstreams/maasplassen/hmac.js';
import { bestAndMedian } from './lib/measure-process.js';
import { peakRssMiB, reportResult, startSandboxProcess } from './lib/sandbox-process.js';

const { values: args } = parseArgs({
  options: { entries: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '3' }, part: { type: 'string' } },
});
const ENTRIES = Number(args.entries);
const CHUNK = 200;
const CONCURRENCY = 4;

const isChild = args.part !== undefined;
const boats = ['91', '92', '93', '94', '95', '96', '97', '98', '99'];
const rows = exampleAvailability(boats, dateRange('2027-01-01', Math.ceil(ENTRIES / boats.length))).slice(0, ENTRIES);
const sandbox = isChild ? undefined : await startSandboxProcess();
const dir = isChild ? dirname(process.env.BENCH_CSV!) : await mkdtemp(join(tmpdir(), 'koppel-bench-maas-'));
const csv = isChild ? process.env.BENCH_CSV! : join(dir, 'availability.csv');
if (!isChild) await writeAvailabilityCsv(csv, rows);
const shared = isChild ? (JSON.parse(process.env.BENCH_SANDBOX!) as { base: string; creds: Record<string, string> }) : undefined;
const creds = shared?.creds ?? sandbox!.credentials('maasplassen');
const base = shared?.base ?? sandbox!.url('maasplassen');

async function measure(database: Record<string, unknown>, label: string) {
  const config = parseConfig(
    stringify({
      database,
      log: { level: 'warn' },
      upstreams: { maasplassen: { base_url: base, apikey: creds.apikey, secret: creds.secret, company_id: Number(creds.company_id), rate: { concurrency: CONCURRENCY, per_second: 10_000 } } },
      pipelines: [{ name: 'bench', type: 'maasplassen-availability', source: { csv }, chunk_size: CHUNK }],
    }),
    {},
  );
  const app = await openApp(config, { logDestination: pino.destination({ dest: join(dir, `${label}.log`), sync: false }) });
  let requests = 0;
  app.events.on('upstream:request', () => requests++);
  // The pipeline's modules are loaded before the clock starts: under tsx that is a compile (~0.5 s), which the
  // built koppel does not pay; the raw side loads nothing either.
  await loadPipeline(app.runner.entry('bench').type);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const first = await app.runner.run('bench', { full: true });
  const firstMs = performance.now() - t0;
  const firstCpu = cpuSeconds(c0);
  const firstRequests = requests;
  requests = 0;
  const t1 = performance.now();
  const again = await app.runner.run('bench');
  const againMs = performance.now() - t1;
  await app.close();
  return {
    database: label,
    first: { outcome: first.outcome, pushed: first.counts.created + first.counts.updated, ms: Math.round(firstMs), entriesPerSec: Math.round((ENTRIES / firstMs) * 1000), requests: firstRequests, cpuSeconds: firstCpu },
    rerun: { outcome: again.outcome, unchanged: again.counts.unchanged, ms: Math.round(againMs), requests },
  };
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
        const body = new URLSearchParams({ payload, hmac: maasplassenSignature(creds.secret!, payload) });
        const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        if (!res.ok) throw new Error(`raw push failed: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
  const ms = performance.now() - t0;
  return { ms: Math.round(ms), entriesPerSec: Math.round((ENTRIES / ms) * 1000), requests: chunks.length, cpuSeconds: cpuSeconds(c0) };
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
 * Each measurement runs in its own process (`--part raw|pglite|postgres`), so its peak RSS is its own, on a fresh
 * database: a copy of an embedded folder migrated once (`koppel migrate` creates it), or a new Postgres database.
 */
const part = args.part;
try {
  if (part !== undefined) {
    const result =
      part === 'raw' ? await rawFetch() : await measure(part === 'postgres' ? { url: process.env.BENCH_PG_URL } : { pglite_dir: process.env.BENCH_PGLITE_DIR }, part);
    process.stdout.write(`${JSON.stringify({ ...result, peakRssMiB: peakRssMiB() })}\n`);
  } else {
    const pgliteTemplate = join(dir, 'pglite-migrated');
    await runChild(['src/cli/main.ts', 'migrate'], { KOPPEL_CONFIG: await writeMigrateConfig({ pglite_dir: pgliteTemplate }) });
    const env = { BENCH_CSV: csv, BENCH_SANDBOX: JSON.stringify({ base, creds }) };
    const samples: Record<string, Sample[]> = { raw: [], pglite: [], postgres: [] };
    for (let round = 0; round < Number(args.rounds); round++) {
      samples.raw!.push(JSON.parse(await runChild(['bench/maasplassen-availability.ts', '--entries', args.entries!, '--part', 'raw'], env)));
      const pgliteDir = join(dir, `pglite-${round}`);
      await cp(pgliteTemplate, pgliteDir, { recursive: true });
      samples.pglite!.push(JSON.parse(await runChild(['bench/maasplassen-availability.ts', '--entries', args.entries!, '--part', 'pglite'], { ...env, BENCH_PGLITE_DIR: pgliteDir })));
      await rm(pgliteDir, { recursive: true, force: true });
      const server = process.env.DATABASE_URL ? await freshPostgres(process.env.DATABASE_URL, round) : undefined;
      if (server) {
        try {
          await runChild(['src/cli/main.ts', 'migrate'], { KOPPEL_CONFIG: await writeMigrateConfig({ url: server.url }) });
          samples.postgres!.push(JSON.parse(await runChild(['bench/maasplassen-availability.ts', '--entries', args.entries!, '--part', 'postgres'], { ...env, BENCH_PG_URL: server.url })));
        } finally {
          await server.drop();
        }
      }
    }
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`${ENTRIES} entries, chunks of ${CHUNK}, concurrency ${CONCURRENCY}, ${args.rounds} rounds interleaved (raw, PGlite, Postgres), each in a fresh process and database`);
    out(`${'side'.padEnd(28)} ${'entries/s best/med'.padStart(20)} ${'wall ms med'.padStart(12)} ${'CPU s med'.padStart(10)} ${'requests'.padStart(9)} ${'re-run ms med'.padStart(14)} ${'peak RSS med'.padStart(13)}`);
    const sides: [string, Sample[]][] = [['raw signed fetch', samples.raw!], ['koppel first push, PGlite', samples.pglite!], ['koppel first push, Postgres', samples.postgres!]];
    const summary: Record<string, { best: number; median: number; cpuMedian: number }> = {};
    for (const [label, list] of sides) {
      if (list.length === 0) continue;
      const head = (s: Sample) => (s.first ?? s) as RunFigures;
      const rate = bestAndMedian(list.map((s) => head(s).entriesPerSec));
      const ms = bestAndMedian(list.map((s) => head(s).ms), false);
      const cpu = bestAndMedian(list.map((s) => head(s).cpuSeconds), false);
      const rerun = list[0]!.rerun ? `${bestAndMedian(list.map((s) => s.rerun!.ms), false).median}` : '';
      const rss = bestAndMedian(list.map((s) => s.peakRssMiB), false).median;
      summary[label] = { best: rate.best, median: rate.median, cpuMedian: cpu.median };
      out(`${label.padEnd(28)} ${`${rate.best}/${rate.median}`.padStart(20)} ${String(ms.median).padStart(12)} ${cpu.median.toFixed(2).padStart(10)} ${String(head(list[0]!).requests).padStart(9)} ${rerun.padStart(14)} ${`${rss} MiB`.padStart(13)}`);
    }
    const raw = summary['raw signed fetch']!;
    for (const label of ['koppel first push, PGlite', 'koppel first push, Postgres']) {
      const k = summary[label];
      if (k) out(`${label} vs raw: ${(k.best / raw.best).toFixed(2)} best/best, ${(k.median / raw.median).toFixed(2)} median/median; CPU ${(k.cpuMedian / raw.cpuMedian).toFixed(2)}× raw's`);
    }
    const main = summary['koppel first push, PGlite']!;
    reportResult({
      bench: 'maasplassen-availability',
      entries: ENTRIES,
      figure: { name: `entries/s, first push (embedded db, median of ${args.rounds})`, value: main.median },
      raw: { name: 'raw signed fetch entries/s', value: raw.median },
      ratio: Number((main.median / raw.median).toFixed(2)),
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
  requests: number;
  cpuSeconds: number;
}
/** One child's answer: raw's figures at the top level, koppel's under `first` (and its re-run). */
interface Sample extends Partial<RunFigures> {
  first?: RunFigures;
  rerun?: { ms: number };
  peakRssMiB: number;
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

async function writeMigrateConfig(database: Record<string, unknown>): Promise<string> {
  const path = join(dir, 'migrate.yaml');
  await writeFile(path, stringify({ database, log: { level: 'warn' } }));
  return path;
}

function runChild(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${args.join(' ')} failed: ${stderr || err.message}`));
      resolve(stdout.trim().split('\n').pop() ?? '');
    });
  });
}
