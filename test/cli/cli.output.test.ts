import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliOutput } from '../../src/cli/cli-args.js';
import { main } from '../../src/cli/program.js';
import { writeConfig } from '../fixtures/koppel-process.js';
import { createServerDatabase, hasPostgres } from '../helpers/database.js';

/**
 * Every command writes through the injected `CliOutput`, not to `process.stdout`: the captured writer gets the
 * whole output of `migrate`, `config check` and `status` (text and JSON). `sandbox` blocks until a signal and
 * runs as a child in the README-lines test, whose writer is the process's own.
 */
describe.skipIf(!hasPostgres)('commands write through the injected CliOutput', () => {
  let dir: string;
  let config: string;
  let dropDb: () => Promise<void>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-output-'));
    const server = await createServerDatabase();
    dropDb = server.drop;
    config = await writeConfig(join(dir, 'koppel.yaml'), {
      database: { url: server.config.url },
      log: { level: 'silent' },
      upstreams: { maasplassen: { base_url: 'http://127.0.0.1:9/api/v2', apikey: 'pub.demo', secret: '${OUTPUT_TEST_MAAS_SECRET}', company_id: 1 } },
      pipelines: [{ name: 'boats', type: 'maasplassen-availability', source: { csv: join(dir, 'a.csv') } }],
    });
  });
  afterAll(async () => {
    await dropDb?.();
    await rm(dir, { recursive: true, force: true });
  });

  async function koppel(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const captured = { out: '', err: '' };
    const io: CliOutput = { out: (t) => void (captured.out += t), err: (t) => void (captured.err += t) };
    const code = await main(['node', 'koppel', '--config', config, ...argv], io);
    return { code, ...captured };
  }

  it('migrate', async () => {
    expect(await koppel('migrate')).toEqual({ code: 0, out: 'database is up to date\n', err: '' });
  });

  it('config check --no-secrets', async () => {
    const res = await koppel('config', 'check', '--no-secrets');
    expect(res).toMatchObject({ code: 0, err: '' });
    expect(res.out).toMatch(/^# .*koppel\.yaml: valid \(upstream secrets not required\)\n/);
    expect(res.out).toContain('# secret not set: upstreams.maasplassen.secret (environment variable OUTPUT_TEST_MAAS_SECRET is not set)');
    expect(res.out).toContain('name: boats');
  });

  it('status, as text and as JSON (the missing-secret note on the error writer)', async () => {
    const text = await koppel('status');
    expect(text).toMatchObject({ code: 0, err: '' });
    expect(text.out).toContain('secrets not set');
    expect(text.out).toContain('boats (maasplassen-availability)\n  no runs yet');
    const json = await koppel('status', '--json');
    expect(json.code).toBe(0);
    expect((JSON.parse(json.out) as { pipeline: string }[]).map((p) => p.pipeline)).toEqual(['boats']);
    expect(json.err).toContain('koppel: secrets not set');
  });
});
