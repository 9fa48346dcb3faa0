/**
 * The embedded default (PGlite, no database.url) side by side with the Postgres server (issue 14): for each
 * command a new user runs, the peak RSS and wall time on each, and PGlite's time over the server's.
 *
 *   npm run bench -- embedded            (this section only; merged into bench/REPORT.md)
 *   npx tsx bench/embedded-default.ts [--rounds 3] [--idle-minutes 10] [--products 100000] [--no-build]
 *     [--only migrate,demo,planviewer,ambita,catalog,daemon]   (some rows only; prints them, for a partial re-run)
 *
 * koppel runs as production runs it where a command is one koppel process: the built JS under plain node with the
 * image's node flags (`koppel migrate`, the daemon). The demo is `npm run demo`'s process (plain node on its
 * esbuild output, dist-demo/; its sandboxes run in a child process, not counted). The catalog, Ambita and Planviewer rows come from those benchmarks, run here
 * with the arguments shown beside them, and measure what they measure (Ambita: the built CLI, sandbox in its own
 * process). Short commands run
 * `--rounds` times, interleaved between the engines (the machine is shared): peak RSS is the highest of the
 * rounds, time the median. The daemon runs on both engines at once for `--idle-minutes` with one run a
 * minute, its RSS sampled each minute (the trend).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { startSandboxProcess } from '../demo/sandbox-process.js';
import { PLANVIEWER_DEMO_CREDENTIALS } from '../sandbox/planviewer/server.js';
import { buildDist, measureProcess } from './lib/measure-process.js';
import { demoCommand, productionNodeFlags } from './lib/production-node-flags.js';
import { reportResult } from './lib/bench-result.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'idle-minutes': { type: 'string', default: '10' },
    products: { type: 'string', default: '100000' },
    'no-build': { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const only = args.only?.split(',');
const wanted = (group: string) => !only || only.includes(group);
const ROUNDS = Number(args.rounds);
const CLI = resolve('dist/src/cli/main.js');
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const FLAGS = productionNodeFlags();
const out = (s: string) => process.stdout.write(`${s}\n`);

/** One command's figures on one engine. */
interface Figure {
  peakRssMiB: number;
  seconds: number;
}
interface Row {
  command: string;
  pglite?: Figure;
  postgres?: Figure;
  note?: string;
}
const rows: Row[] = [];
const record = rows.push.bind(rows);
rows.push = (...rs: Row[]) => {
  for (const r of rs) out(`  ${JSON.stringify(r)}`); // as soon as measured: a later failure loses nothing
  return record(...rs);
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const combine = (fs: Figure[]): Figure => ({ peakRssMiB: Math.max(...fs.map((f) => f.peakRssMiB)), seconds: median(fs.map((f) => f.seconds)) });

async function createServerDb(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `koppel_bench_emb_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** `koppel migrate` on a new folder / a new database, ROUNDS times interleaved. */
async function migrateRows(dir: string): Promise<void> {
  const figs: Record<'pglite' | 'postgres', Figure[]> = { pglite: [], postgres: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of ['pglite', 'postgres'] as const) {
      const server = kind === 'postgres' ? await createServerDb() : undefined;
      const config = join(dir, `migrate-${kind}-${round}.yaml`);
      await writeFile(config, stringify({ database: server ? { url: server.url } : { pglite_dir: join(dir, `migrate-${round}`, 'pglite') } }));
      const r = await measureProcess(process.execPath, [...FLAGS, CLI, '--config', config, 'migrate']);
      await server?.drop();
      if (r.code !== 0) throw new Error(`koppel migrate (${kind}): ${r.stderr}`);
      figs[kind].push({ peakRssMiB: r.peakRssMiB, seconds: r.wallSeconds });
    }
  }
  rows.push({ command: 'koppel migrate, new folder / new database', pglite: combine(figs.pglite), postgres: combine(figs.postgres) });
}

/**
 * With and without the image's `--max-semi-space-size` (V8's young generation), PGlite only: `koppel migrate` on a
 * new folder and again on that folder, ROUNDS times interleaved. Printed, not a row (the Dockerfile's reason).
 */
async function semiSpaceLines(dir: string): Promise<string[]> {
  const without = FLAGS.filter((f) => !f.startsWith('--max-semi-space-size'));
  if (without.length === FLAGS.length) return [];
  const peaks: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, flags] of [['with', FLAGS], ['without', without]] as const) {
      const config = join(dir, `semi-${label}-${round}.yaml`);
      await writeFile(config, stringify({ database: { pglite_dir: join(dir, `semi-${label}-${round}`, 'pglite') } }));
      for (const run of ['new folder', 'existing folder']) {
        const r = await measureProcess(process.execPath, [...flags, CLI, '--config', config, 'migrate']);
        if (r.code !== 0) throw new Error(`koppel migrate (${label} semi-space): ${r.stderr}`);
        (peaks[`${run}|${label}`] ??= []).push(r.peakRssMiB);
      }
    }
  }
  const flag = FLAGS.find((f) => f.startsWith('--max-semi-space-size'))!;
  return ['new folder', 'existing folder'].map(
    (run) => `${flag}, koppel migrate on PGlite, ${run}: peak RSS with ${peaks[`${run}|with`]!.join('/')} MiB, without ${peaks[`${run}|without`]!.join('/')} MiB (median ${median(peaks[`${run}|with`]!)} vs ${median(peaks[`${run}|without`]!)})`,
  );
}

/**
 * `npm run demo` (its build, then dist-demo/demo/main.js with the script's node flags) on a new data/demo, then again on what the first left.
 * Embedded only. The demo keeps its state in ./data/demo: one found there is moved aside and put back after.
 */
async function demoRows(dir: string): Promise<void> {
  const demoDir = resolve('data/demo');
  const aside = join(dir, 'demo-aside');
  const hadDemo = existsSync(demoDir);
  if (hadDemo) await rename(demoDir, aside);
  const first: Figure[] = [];
  const second: Figure[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await rm(demoDir, { recursive: true, force: true });
      for (const figs of [first, second]) {
        // Both steps of `npm run demo`: the build (a short process of its own) counts in the time and the peak.
        const { build, demo } = demoCommand();
        const b = await measureProcess(process.execPath, build);
        if (b.code !== 0) throw new Error(`demo build: ${b.stderr || b.stdout}`);
        const r = await measureProcess(process.execPath, demo);
        if (r.code !== 0) throw new Error(`demo: ${r.stderr || r.stdout}`);
        figs.push({ peakRssMiB: Math.max(b.peakRssMiB, r.peakRssMiB), seconds: b.wallSeconds + r.wallSeconds });
      }
    }
  } finally {
    await rm(demoDir, { recursive: true, force: true });
    if (hadDemo) await rename(aside, demoDir);
  }
  const note = 'the demo always runs embedded; its sandboxes run in a child process (not counted)';
  rows.push({ command: 'npm run demo, first (new data/demo)', pglite: combine(first), note });
  rows.push({ command: 'npm run demo, second', pglite: combine(second), note });
}

/** Runs another benchmark and returns its output lines and BENCH_RESULT. */
function subBench(file: string, extra: string[]): { lines: string[]; result: Record<string, unknown> } {
  out(`  running bench/${file} ${extra.join(' ')}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${file}`, ...extra], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 * 1024 * 1024, env: { ...process.env, DATABASE_URL: ADMIN_URL } }); // the catalog bench skips the server without it
  const lines = r.stdout.toString().split('\n');
  const res = lines.find((l) => l.startsWith('BENCH_RESULT '));
  if (r.status !== 0 || !res) throw new Error(`bench/${file} exited with ${r.status}`);
  return { lines: lines.filter((l) => l && !l.startsWith('BENCH_RESULT ')), result: JSON.parse(res.slice('BENCH_RESULT '.length)) as Record<string, unknown> };
}

function catalogRows(): void {
  const extra = ['--products', args.products!, '--large', '0', '--raw', '2000'];
  const { result } = subBench('planogram-catalog.ts', extra);
  const scenarios = result.scenarios as { database: string; run: string; seconds: number; 'peak RSS MiB': number }[];
  for (const run of ['first import', 'no-change re-run']) {
    const fig = (db: string): Figure | undefined => {
      const s = scenarios.find((x) => x.database === db && x.run === run);
      return s && { peakRssMiB: s['peak RSS MiB'], seconds: s.seconds };
    };
    rows.push({ command: `catalog ${args.products} rows, ${run}`, pglite: fig('pglite'), postgres: fig('postgres'), note: `planogram-catalog ${extra.join(' ')}` });
  }
}

function ambitaRows(): void {
  const extra = ['--rounds', String(ROUNDS)];
  const { lines } = subBench('ambita-mirror.ts', [...extra, '--no-build']);
  for (const [label, name] of [
    ['first sweep (download all)', 'Ambita first sweep, 2,500 assets'],
    ['second sweep (nothing new)', 'Ambita second sweep, nothing new'],
  ] as const) {
    // One line per round: `round N <db> <phase> … <seconds> s … peak RSS <MiB> MiB`.
    const fig = (db: string): Figure | undefined => {
      const figs = lines
        .filter((l) => l.replace(/^round \d+ /, '').startsWith(db) && l.includes(label))
        .map((l) => /\s([\d.]+) s\s.*peak RSS (\d+) MiB/.exec(l))
        .filter((m) => m !== null)
        .map((m) => ({ seconds: Number(m[1]), peakRssMiB: Number(m[2]) }));
      return figs.length ? combine(figs) : undefined;
    };
    rows.push({ command: name, pglite: fig('pglite'), postgres: fig('postgres'), note: `ambita-mirror ${extra.join(' ')} (built CLI, sandbox in its own process)` });
  }
}

function planviewerRows(): void {
  const extra = ['--repeat', String(ROUNDS), '--big-mib', '1', '--no-build'];
  const { result } = subBench('planviewer-mirror.ts', extra);
  const summary = result.summary as Record<string, { filesPerSecMedian: number; peakRssMiBBest: number; peakRssMiBMedian: number; idleRssMiB: number }>;
  const files = Number((result.figure as { name: string }).name.match(/(\d+) ×/)?.[1] ?? 1000);
  const fig = (label: string): Figure | undefined => {
    const s = summary[`${label}|small`];
    return s && { peakRssMiB: s.peakRssMiBMedian, seconds: Number((files / s.filesPerSecMedian).toFixed(2)) };
  };
  rows.push({ command: `Planviewer run, ${files} × 1 MiB files`, pglite: fig('koppel, PGlite'), postgres: fig('koppel, Postgres'), note: `planviewer-mirror ${extra.join(' ')}; peak RSS median of rounds` });
  const idle = (label: string): Figure | undefined => {
    const s = summary[`${label}|small`];
    return s && { peakRssMiB: s.idleRssMiB, seconds: NaN };
  };
  rows.push({ command: 'Planviewer run with nothing to do', pglite: idle('koppel, PGlite'), postgres: idle('koppel, Postgres'), note: 'time not recorded by that benchmark' });
}

/** `koppel daemon` on both engines at once, one Planviewer run a minute (nothing queued), RSS sampled each minute. */
async function daemonRows(dir: string): Promise<string[]> {
  const minutes = Number(args['idle-minutes']);
  const sandbox = await startSandboxProcess();
  const server = await createServerDb();
  const daemons: { kind: 'pglite' | 'postgres'; child: ChildProcess; samples: number[]; runs: () => number }[] = [];
  try {
    for (const kind of ['pglite', 'postgres'] as const) {
      const root = join(dir, `daemon-${kind}`);
      await mkdir(root, { recursive: true });
      const config = join(root, 'koppel.yaml');
      await writeFile(
        config,
        stringify({
          database: kind === 'postgres' ? { url: server.url } : { pglite_dir: join(root, 'pglite') },
          storage: { root: join(root, 'files') },
          http: { port: 0, host: '127.0.0.1' },
          log: { level: 'info' },
          upstreams: { planviewer: { base_url: sandbox.sandboxes.find((s) => s.name === 'planviewer')!.sandbox.url, access_key: PLANVIEWER_DEMO_CREDENTIALS.access_key, secret: PLANVIEWER_DEMO_CREDENTIALS.secret } },
          pipelines: [{ name: 'pv', type: 'planviewer-mirror', schedule: '* * * * *' }],
        }),
      );
      const migrate = await measureProcess(process.execPath, [...FLAGS, CLI, '--config', config, 'migrate']);
      if (migrate.code !== 0) throw new Error(`daemon migrate (${kind}): ${migrate.stderr}`);
      const child = spawn(process.execPath, [...FLAGS, CLI, '--config', config, 'daemon'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let finished = 0;
      child.stdout!.on('data', (d: Buffer) => (finished += (d.toString().match(/"msg":"run finished"/g) ?? []).length));
      child.stderr!.resume();
      daemons.push({ kind, child, samples: [], runs: () => finished });
    }
    for (let minute = 1; minute <= minutes; minute++) {
      await new Promise((r) => setTimeout(r, 60_000));
      for (const d of daemons) d.samples.push(rssMiB(d.child.pid!, 'VmRSS'));
    }
    for (const d of daemons) {
      const peak = rssMiB(d.child.pid!, 'VmHWM');
      d.child.kill('SIGTERM');
      rows.push({ command: `daemon ${minutes} min, one run a minute`, [d.kind]: { peakRssMiB: peak, seconds: NaN }, note: `RSS each minute: ${d.samples.join(' ')} MiB (${d.runs()} runs)` } as Row);
    }
  } finally {
    for (const d of daemons) if (d.child.exitCode === null) d.child.kill('SIGKILL');
    await sandbox.stop();
    await server.drop();
  }
  // Merge the two daemon rows into one.
  const ds = rows.filter((r) => r.command.startsWith('daemon '));
  const merged: Row = { command: ds[0]!.command, pglite: ds.find((r) => r.pglite)?.pglite, postgres: ds.find((r) => r.postgres)?.postgres };
  const trend = ds.map((r) => `${r.pglite ? 'PGlite' : 'server'} ${r.note!.replace('RSS each minute: ', '')}`);
  rows.splice(rows.indexOf(ds[0]!), ds.length, merged);
  return trend;
}

function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    return Math.round(Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  if (!args['no-build']) buildDist();
  const dir = await mkdtemp(join(tmpdir(), 'koppel-embedded-bench-'));
  let trend: string[] = [];
  let semi: string[] = [];
  try {
    if (wanted('migrate')) {
      out('koppel migrate …');
      await migrateRows(dir);
      semi = await semiSpaceLines(dir);
    }
    if (wanted('demo')) {
      out('npm run demo …');
      await demoRows(dir);
    }
    if (wanted('planviewer')) planviewerRows();
    if (wanted('ambita')) ambitaRows();
    if (wanted('catalog')) catalogRows();
    if (wanted('daemon') && Number(args['idle-minutes']) > 0) {
      out(`daemon, ${args['idle-minutes']} min …`);
      trend = await daemonRows(dir).catch((err: unknown) => {
        rows.push({ command: 'daemon', note: `failed: ${(err as Error).message}` });
        return [];
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const cell = (f?: Figure) => (f ? `${f.peakRssMiB} MiB` : '–');
  const secs = (f?: Figure) => (f && Number.isFinite(f.seconds) ? `${f.seconds.toFixed(2)} s` : '–');
  const ratio = (r: Row) => (r.pglite && r.postgres && Number.isFinite(r.pglite.seconds) && Number.isFinite(r.postgres.seconds) ? (r.pglite.seconds / r.postgres.seconds).toFixed(2) : '–');
  out('');
  out(`embedded default (PGlite) vs Postgres server; short commands ${ROUNDS} interleaved rounds (peak RSS: highest, time: median)`);
  out('command                                      | PGlite peak | server peak | PGlite time | server time | time ratio | note');
  for (const r of rows) {
    out(`${r.command.padEnd(44)} | ${cell(r.pglite).padStart(11)} | ${cell(r.postgres).padStart(11)} | ${secs(r.pglite).padStart(11)} | ${secs(r.postgres).padStart(11)} | ${ratio(r).padStart(10)} | ${r.note ?? ''}`);
  }
  for (const t of trend) out(`daemon RSS each minute, ${t}`);
  for (const l of semi) out(l);
  const worst = Math.max(...rows.map((r) => r.pglite?.peakRssMiB ?? 0));
  const ratios = rows.map((r) => Number(ratio(r))).filter(Number.isFinite);
  reportResult({
    bench: 'embedded-default',
    figure: { name: 'MiB, highest peak RSS of any command on PGlite', value: worst },
    raw: { name: 'MiB, highest on the Postgres server', value: Math.max(...rows.map((r) => r.postgres?.peakRssMiB ?? 0)) },
    ratio: Number(Math.max(...ratios).toFixed(2)),
    rows,
    trend,
    semiSpace: semi,
  });
}

await main();
