/**
 * What every crash suite shares: a pipeline run in a child process (killed with SIGKILL when the test says so),
 * a config file on a cloned real-Postgres database, the storage walk, the run-record check and the log search
 * for secrets. The sandbox lives in the test process, so its state survives every kill.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { stringify } from 'yaml';
import { expect } from 'vitest';
import type { ReceivedRequest } from '../../sandbox/kit.js';
import type { DB } from '../../src/db/schema.js';
import { createServerDatabase } from '../helpers/database.js';
import { onRequest } from '../helpers/on-request.js';
import { findSecretLeaks, namedSecrets } from '../helpers/secret-leaks.js';

const FIXTURE = join(import.meta.dirname, 'fixtures/run-pipeline.ts');
const ROOT = join(import.meta.dirname, '../..');

/** How a child run ended, as the parent saw it. */
export interface ChildRun {
  pid: number;
  killed: boolean;
  /** The run's outcome from the fixture's last line; undefined when killed before it. */
  outcome: string | undefined;
  counts: Record<string, number> | undefined;
  runId: number | undefined;
  stdout: string;
}

export interface CrashWorld {
  dir: string;
  /** storage.root of the config. */
  root: string;
  db: Kysely<DB>;
  /** Every child's stdout, for the secrets search. */
  readonly logs: string[];
  /** Writes the config (the database and storage root are added) and remembers it for the secrets search. */
  configure(raw: Record<string, unknown>): Promise<void>;
  /**
   * Runs the pipeline once in a child. `arm(kill)` is called when it started: the test wires `kill` to a sandbox
   * hook (after N upstream calls) and returns an unsubscribe. A run the lock refused (the killed process's
   * session not yet gone at the server) is started again.
   */
  run(arm?: (kill: () => void) => (() => void) | void): Promise<ChildRun>;
  /** Fails naming the config key when any configured secret (or an extra token) is in any child's logs. */
  expectNoSecretsInLogs(extra?: Iterable<string>): void;
  close(): Promise<void>;
}

export async function createCrashWorld(pipeline: string): Promise<CrashWorld> {
  const dir = await mkdtemp(join(tmpdir(), `koppel-crash-${pipeline}-`));
  const server = await createServerDatabase();
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: server.config.url, max: 2 }) }) });
  const configPath = join(dir, 'koppel.yaml');
  const root = join(dir, 'files');
  const logs: string[] = [];
  let config: Record<string, unknown> = {};

  const once = (arm?: (kill: () => void) => (() => void) | void): Promise<ChildRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, configPath, pipeline], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let last: Record<string, unknown> | undefined;
      let killed = false;
      const kill = () => {
        if (killed || child.exitCode !== null) return;
        killed = true;
        child.kill('SIGKILL');
      };
      const disarm = arm?.(kill);
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      createInterface({ input: child.stdout }).on('line', (line) => {
        stdout += `${line}\n`;
        if (line.startsWith('{"fixture":"done"')) last = JSON.parse(line) as Record<string, unknown>;
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        disarm?.();
        logs.push(stdout, stderr);
        if (signal !== 'SIGKILL' && code !== 0) return reject(new Error(`fixture exited ${code} ${signal}: ${stderr.slice(-3000)}`));
        resolve({
          pid: child.pid!,
          killed: signal === 'SIGKILL',
          outcome: last?.outcome as string | undefined,
          counts: last?.counts as Record<string, number> | undefined,
          runId: (last?.runId as number | null | undefined) ?? undefined,
          stdout,
        });
      });
    });

  return {
    dir,
    root,
    db,
    logs,
    async configure(raw) {
      config = { ...raw, database: { url: server.config.url }, storage: { root } };
      await writeFile(configPath, stringify(config));
    },
    async run(arm) {
      for (let attempt = 0; ; attempt++) {
        const result = await once(arm);
        // Postgres frees a killed session's advisory lock once it notices the closed socket: almost always at
        // once, but a restart can race it. That run is skipped (no record, no work), so simply start again.
        if (result.outcome !== 'skipped' || attempt >= 20) return result;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    expectNoSecretsInLogs(extra = []) {
      const secrets = [...namedSecrets(config), ...[...extra].map((value) => ({ label: 'a token the sandbox issued', value }))];
      expect(secrets.length).toBeGreaterThan(0);
      expect(findSecretLeaks(logs.join('\n'), secrets)).toEqual([]);
    },
    async close() {
      await db.destroy();
      await server.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every file under `root` (relative path → sha256); `.part` temporaries are listed separately. */
export async function walkFiles(root: string): Promise<{ files: Map<string, string>; parts: string[] }> {
  const files = new Map<string, string>();
  const parts: string[] = [];
  let entries;
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch {
    return { files, parts };
  }
  for (const e of entries) {
    if (!e.isFile()) continue;
    const path = relative(root, join(e.parentPath, e.name));
    if (e.name.endsWith('.part')) parts.push(path);
    else files.set(path, createHash('sha256').update(await readFile(join(root, path))).digest('hex'));
  }
  return { files, parts };
}

/**
 * The run records tell the truth: nothing left `running`; every killed process's run is `crashed` (closed by the
 * next run) — or, when the kill came after it had recorded its end, that real outcome; no run is `crashed` that
 * was not killed; every run that was not killed is recorded with the outcome it returned.
 */
export async function expectTruthfulRunRecords(db: Kysely<DB>, pipeline: string, runs: readonly ChildRun[]): Promise<void> {
  const rows = await db.selectFrom('runs').select(['id', 'outcome', 'pid', 'ended_at']).where('pipeline', '=', pipeline).orderBy('id').execute();
  expect(rows.filter((r) => r.outcome === 'running')).toEqual([]);
  expect(rows.every((r) => r.ended_at !== null)).toBe(true);
  const byPid = new Map(rows.map((r) => [r.pid, r]));
  // Every kill is triggered by an upstream call, which comes after the run is recorded: each killed run has a row.
  const killed = runs.filter((r) => r.killed);
  for (const k of killed) expect(['crashed', 'succeeded', 'rejected', 'attention', 'failed'], `run of killed pid ${k.pid}`).toContain(byPid.get(k.pid)?.outcome);
  const killedPids = new Set(killed.map((r) => r.pid));
  expect(rows.filter((r) => r.outcome === 'crashed' && !killedPids.has(r.pid))).toEqual([]);
  expect(rows.filter((r) => r.outcome === 'crashed').length).toBeGreaterThan(0);
  for (const r of runs.filter((x) => !x.killed)) expect(byPid.get(r.pid)?.outcome, `run of pid ${r.pid}`).toBe(r.outcome);
  expect(rows).toHaveLength(runs.length);
}

/** A seeded integer in [lo, hi]. */
export function between(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/**
 * One killed run of a deliverables pipeline: half the kills land on the Nth request of any kind, half a few ms
 * into the Nth download (mid-body, often). `requests` is the sandbox's request log.
 */
export async function runKilledAtRequestOrDownload<R extends ReceivedRequest>(
  world: CrashWorld,
  requests: R[],
  random: () => number,
  options: { isDownload(path: string): boolean; maxRequest: number; maxDownload: number },
): Promise<ChildRun> {
  const downloads = random() < 0.5;
  const at = between(random, 1, downloads ? options.maxDownload : options.maxRequest);
  const delay = between(random, 0, 15);
  let seen = 0;
  const slot = requestTrigger(requests);
  return world.run((kill) => {
    slot.current = (r) => {
      if (downloads && !options.isDownload(r.path)) return;
      if (++seen === at) setTimeout(kill, downloads ? delay : 0);
    };
    return () => (slot.current = undefined);
  });
}

/** One hook per request log, installed once, whose listener each run replaces. */
const triggers = new WeakMap<object, { current?: ((r: ReceivedRequest) => void) | undefined }>();
function requestTrigger<R extends ReceivedRequest>(requests: R[]): { current?: ((r: R) => void) | undefined } {
  let slot = triggers.get(requests);
  if (!slot) {
    const created: { current?: ((r: ReceivedRequest) => void) | undefined } = {};
    onRequest(requests, (r) => created.current?.(r));
    triggers.set(requests, created);
    slot = created;
  }
  return slot as { current?: ((r: R) => void) | undefined };
}

/** At least half the runs were really killed; then two clean runs converge and the last one has no work. */
export async function finishAfterKills(world: CrashWorld, runs: ChildRun[], kills: number): Promise<ChildRun> {
  expect(runs.filter((r) => r.killed).length).toBeGreaterThanOrEqual(kills / 2);
  for (let i = 0; i < 2; i++) runs.push(await world.run());
  const final = runs[runs.length - 1]!;
  expect(final.outcome).toBe('succeeded');
  expect(final.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
  return final;
}
