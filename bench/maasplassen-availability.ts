/**
 * 10,000 availability entries through the Maasplassen sandbox (in its own process): first push and a no-change
 * re-run, on the embedded database and (when DATABASE_URL is set) on the Postgres server, next to the raw
 * rate of the same signed requests sent with fetch at the same concurrency.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { openApp, parseConfig } from '../src/registries.js';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../demo/availability-data.js';
import { maasplassenSignature } from '../src/upstreams/maasplassen/hmac.js';
import { peakRssMiB, reportResult, startSandboxProcess } from './lib/sandbox-process.js';

const ENTRIES = 10_000;
const CHUNK = 200;
const CONCURRENCY = 4;

const isChild = process.argv.includes('--part');
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
  const t0 = performance.now();
  const first = await app.runner.run('bench', { full: true });
  const firstMs = performance.now() - t0;
  const firstRequests = requests;
  requests = 0;
  const t1 = performance.now();
  const again = await app.runner.run('bench');
  const againMs = performance.now() - t1;
  await app.close();
  return {
    database: label,
    first: { outcome: first.outcome, pushed: first.counts.created + first.counts.updated, ms: Math.round(firstMs), entriesPerSec: Math.round((ENTRIES / firstMs) * 1000), requests: firstRequests },
    rerun: { outcome: again.outcome, unchanged: again.counts.unchanged, ms: Math.round(againMs), requests },
  };
}

/** The building block: the same signed chunks POSTed with fetch, CONCURRENCY at a time. */
async function rawFetch() {
  const chunks: string[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const availability = rows.slice(i, i + CHUNK).map((r) => ({ boat: Number(r.boat), date: r.date, prizes: r.available ? [{ desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: r.dayCents }] : null }));
    chunks.push(JSON.stringify({ company: Number(creds.company_id), availability }));
  }
  const url = `${base}/company/${creds.company_id}/availability/update?apikey=${encodeURIComponent(creds.apikey!)}`;
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
  return { ms: Math.round(ms), entriesPerSec: Math.round((ENTRIES / ms) * 1000), requests: chunks.length };
}

/**
 * Each measurement runs in its own process (`--part raw|pglite|postgres`), so its peak RSS is its own. The
 * embedded database is created (initdb) by `koppel migrate` first: that one-off step alone peaks near 850 MiB.
 */
const part = process.argv[process.argv.indexOf('--part') + 1];
try {
  if (process.argv.includes('--part')) {
    const result =
      part === 'raw' ? await rawFetch() : await measure(part === 'postgres' ? { url: process.env.DATABASE_URL } : { pglite_dir: process.env.BENCH_PGLITE_DIR }, part!);
    process.stdout.write(`${JSON.stringify({ ...result, peakRssMiB: peakRssMiB() })}\n`);
  } else {
    const pgliteDir = join(dir, 'pglite');
    await runChild(['src/cli/main.ts', 'migrate'], { KOPPEL_CONFIG: await writeMigrateConfig(pgliteDir) });
    const env = { BENCH_CSV: csv, BENCH_SANDBOX: JSON.stringify({ base, creds }), BENCH_PGLITE_DIR: pgliteDir };
    const raw = JSON.parse(await runChild(['bench/maasplassen-availability.ts', '--part', 'raw'], env));
    const runs = [JSON.parse(await runChild(['bench/maasplassen-availability.ts', '--part', 'pglite'], env))];
    if (process.env.DATABASE_URL) runs.push(JSON.parse(await runChild(['bench/maasplassen-availability.ts', '--part', 'postgres'], env)));
    for (const r of runs) {
      process.stdout.write(
        `maasplassen-availability [${r.database}]: first push ${r.first.pushed} entries in ${r.first.ms} ms = ${r.first.entriesPerSec} entries/s, ${r.first.requests} requests; ` +
          `no-change re-run ${r.rerun.ms} ms, ${r.rerun.requests} request(s); peak RSS ${r.peakRssMiB} MiB\n`,
      );
    }
    process.stdout.write(`raw fetch of the same signed chunks: ${raw.entriesPerSec} entries/s (${raw.requests} requests in ${raw.ms} ms); peak RSS ${raw.peakRssMiB} MiB\n`);
    reportResult({
      bench: 'maasplassen-availability',
      entries: ENTRIES,
      figure: { name: 'entries/s, first push (embedded db)', value: runs[0].first.entriesPerSec },
      raw: { name: 'raw signed fetch entries/s', value: raw.entriesPerSec },
      ratio: Number((runs[0].first.entriesPerSec / raw.entriesPerSec).toFixed(2)),
      runs,
      rawDetail: raw,
    });
  }
} finally {
  if (!process.argv.includes('--part')) {
    await sandbox?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeMigrateConfig(pgliteDir: string): Promise<string> {
  const path = join(dir, 'migrate.yaml');
  await writeFile(path, stringify({ database: { pglite_dir: pgliteDir }, log: { level: 'warn' } }));
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
