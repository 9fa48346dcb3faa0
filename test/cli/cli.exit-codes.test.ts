import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { ROOT, koppel, logRecords, maasUpstream, startKoppel, writeConfig } from '../fixtures/koppel-process.js';
import { pollUntil } from '../fixtures/poll.js';

const isUpdate = (path: string) => path.endsWith('/availability/update');

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

// One PGlite folder and one sandbox for the file; the tests run in order, each a fresh `koppel` process.
describe('koppel command line: output and exit codes', () => {
  let sandbox: MaasplassenSandbox;
  let dir: string;
  let config: string;
  let csv: string;
  let env: NodeJS.ProcessEnv;
  let secrets: string[];
  let raw: Record<string, unknown>;

  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
    dir = await mkdtemp(join(tmpdir(), 'koppel-cli-'));
    csv = join(dir, 'availability.csv');
    await writeAvailabilityCsv(csv, exampleAvailability(['91', '92'], dateRange('2027-06-01', 5)), ['4711,2027-06-01,ja,Hele dag,,9500,,,']);
    env = { MAAS_SECRET: String(sandbox.credentials.secret) };
    secrets = [String(sandbox.credentials.secret), String(sandbox.credentials.apikey)];
    raw = {
      database: { url: '', pglite_dir: join(dir, 'pglite') },
      http: { host: '127.0.0.1' },
      upstreams: { maasplassen: maasUpstream(sandbox) },
      pipelines: [{ name: 'boats', type: 'maasplassen-availability', source: { csv } }],
    };
    config = await writeConfig(join(dir, 'koppel.yaml'), raw);
  });
  afterAll(async () => {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  const expectNoSecrets = (text: string) => {
    for (const s of secrets) {
      expect(text).not.toContain(s);
      expect(text).not.toContain(encodeURIComponent(s));
    }
  };

  it('migrate: exit 0, and a second migrate has nothing to apply', async () => {
    const first = await koppel(['migrate', '--config', config], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    // A new embedded folder comes with the migrations of its template's day: it applies only those added since.
    expect(first.stdout).toMatch(/^(applied: \d{4}_|database is up to date)/);
    const second = await koppel(['migrate', '--config', config], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('database is up to date');
  });

  it('config check: prints the resolved config with secrets masked, exit 0', async () => {
    const res = await koppel(['config', 'check', '--config', config], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`# ${config}: valid`);
    expect(res.stdout).toContain('chunk_size: 200'); // a default, filled in
    expect(res.stdout).toMatch(/secret: "?\*\*\*"?/);
    expect(res.stdout).toMatch(/apikey: "?\*\*\*"?/);
    expectNoSecrets(res.stdout + res.stderr);
  });

  it('a bad config exits 2 naming the key path, what was expected and what was found', async () => {
    const bad = await writeConfig(join(dir, 'bad.yaml'), {
      ...raw,
      pipelines: [{ name: 'boats', type: 'maasplassen-availability', source: { csv }, chunk_size: 'fifty' }],
    });
    const res = await koppel(['config', 'check', '--config', bad], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/pipelines\[0\]\.chunk_size: expected .*number.*"fifty"/);
    const run = await koppel(['run', 'boats', '--config', bad], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('pipelines[0].chunk_size');
    const unset = await koppel(['config', 'check', '--config', config], {}); // $MAAS_SECRET not set
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('upstreams.maasplassen.secret');
    expect(unset.stderr).toContain('MAAS_SECRET');
  });

  it('bad usage exits 2: unknown pipeline, unknown command, malformed dates', async () => {
    const unknown = await koppel(['run', 'nope', '--config', config], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('pipeline "nope" is not in the config (configured: boats)');
    expect((await koppel(['frobnicate', '--config', config], env)).code).toBe(2);
    const date = await koppel(['backfill', 'boats', '--since', '1 June', '--config', config], env);
    expect(date.code).toBe(2);
    expect(date.stderr).toContain('--since: expected YYYY-MM-DD');
  });

  it('order planviewer exits 2 with a clear message (or, once wired, on bad usage)', async () => {
    const wired = readFileSync(join(ROOT, 'src/cli/commands/order.ts'), 'utf8').includes('planviewerOrderCommand');
    if (!wired) {
      const res = await koppel(['order', 'planviewer', '--address', 'Castellastraat 2, 6512EX Nijmegen', '--config', config], env);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('ordering from planviewer is not available yet: its pipeline has not landed');
    } else {
      const res = await koppel(['order', 'planviewer', '--no-such-flag', '--config', config], env);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/unknown option/);
    }
  });

  it('run --dry-run: exit 0, the plan on stderr, nothing sent', async () => {
    sandbox.reset();
    const res = await koppel(['run', 'boats', '--dry-run', '--config', config], env);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('boats: dry run — nothing was sent');
    expect(res.stderr).toMatch(/plan: .*push 10/);
    expect(res.stderr).toMatch(/create\s+91\|2027-06-01/);
    expect(sandbox.requests.filter((r) => isUpdate(r.path))).toHaveLength(0);
    expectNoSecrets(res.stdout + res.stderr);
  });

  it('run with rejected rows: exit 3, the rejection named on stderr', async () => {
    const res = await koppel(['run', 'boats', '--config', config], env);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/boats: rejected \(run \d+\)/);
    expect(res.stderr).toContain('boat "4711" is not in the fleet');
    expect(sandbox.availabilityCount(1)).toBe(10);
    // The NDJSON log on stdout parses, line by line, and holds no secret.
    expect(logRecords(res.stdout).some((r) => r.msg === 'run finished')).toBe(true);
    expectNoSecrets(res.stdout + res.stderr);
  });

  it('status --json prints parseable JSON with the last runs', async () => {
    const res = await koppel(['status', '--json', '--config', config], env);
    expect(res.code).toBe(0);
    const status = JSON.parse(res.stdout) as { pipeline: string; runs: { outcome: string; dry_run: boolean; created: number; rejected: number }[]; rejections: { reason: string }[] }[];
    expect(status).toHaveLength(1);
    expect(status[0]!.pipeline).toBe('boats');
    expect(status[0]!.runs.map((r) => r.outcome)).toEqual(['rejected', 'dry-run']);
    expect(status[0]!.runs[0]).toMatchObject({ created: 10, rejected: 1 });
    expect(status[0]!.rejections[0]?.reason).toContain('4711');
    expectNoSecrets(res.stdout);
  });

  it('run against an unreachable upstream: exit 1 with the error', async () => {
    const down = await writeConfig(join(dir, 'down.yaml'), {
      ...raw,
      upstreams: { maasplassen: maasUpstream(sandbox, { base_url: 'http://127.0.0.1:1/api/v2', retry: { max_attempts: 2, base_delay_ms: 1, max_delay_ms: 2 } }) },
    });
    const res = await koppel(['run', 'boats', '--config', down], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/boats: failed \(run \d+\)/);
    expect(res.stderr).toContain('error:');
    expectNoSecrets(res.stdout + res.stderr);
  });

  it('daemon: serves /healthz, stops on SIGTERM with exit 0 and "stopped", logs no secret', async () => {
    const daemon = startKoppel(['daemon', '--port', '0', '--config', config], env);
    try {
      const started = await pollUntil(
        'the daemon to report its port',
        () => {
          if (daemon.child.exitCode !== null) throw new Error(`daemon exited with ${daemon.child.exitCode}: ${daemon.stderr}${daemon.stdout}`);
          return logRecords(daemon.stdout).find((r) => r.msg === 'daemon started');
        },
        30_000,
      );
      const port = Number(started.port);
      expect(port).toBeGreaterThan(0);
      expect(await getStatus(port, '/healthz')).toBe(200);
      expect(await getStatus(port, '/metrics')).toBe(200);
      daemon.child.kill('SIGTERM');
      const exited = await daemon.exited;
      expect(exited.code).toBe(0);
      const messages = logRecords(exited.stdout).map((r) => r.msg);
      expect(messages).toContain('signal received');
      expect(messages.at(-1)).toBe('stopped');
      expectNoSecrets(exited.stdout + exited.stderr);
    } finally {
      daemon.child.kill('SIGKILL');
    }
  });
});
