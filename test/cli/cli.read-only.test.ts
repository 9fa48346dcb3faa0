import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { koppel, writeConfig } from '../fixtures/koppel-process.js';

// Read-only commands need only the database settings: no upstream secret is in the environment of these processes.
describe('read-only commands without upstream secrets', () => {
  let dir: string;
  let config: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-read-only-'));
    config = await writeConfig(join(dir, 'koppel.yaml'), {
      database: { url: '', pglite_dir: join(dir, 'pglite') },
      upstreams: {
        maasplassen: { base_url: 'http://127.0.0.1:9/api/v2', apikey: 'pub.demo', secret: '${RO_TEST_MAAS_SECRET}', company_id: 1 },
        planviewer: { base_url: 'http://127.0.0.1:9', access_key: 'ak', secret: '${RO_TEST_PV_SECRET}' },
        ambita: { base_url: 'http://127.0.0.1:9', client_id: 'c', client_secret: '${RO_TEST_AMBITA_SECRET}', username: 'u', password: '${RO_TEST_AMBITA_PASSWORD}' },
      },
      pipelines: [
        { name: 'boats', type: 'maasplassen-availability', source: { csv: join(dir, 'a.csv') } },
        { name: 'pv', type: 'planviewer-mirror' },
        { name: 'ambita', type: 'ambita-mirror' },
      ],
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('koppel status shows every pipeline and names the secrets that are not set', async () => {
    const out = await koppel(['--config', config, 'status']);
    expect(out.stderr).toBe('');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('secrets not set');
    expect(out.stdout).toContain('upstreams.planviewer.secret (environment variable RO_TEST_PV_SECRET is not set)');
    expect(out.stdout).toContain('upstreams.maasplassen.secret (environment variable RO_TEST_MAAS_SECRET is not set)');
    expect(out.stdout).toContain('upstreams.ambita.client_secret (environment variable RO_TEST_AMBITA_SECRET is not set)');
    for (const name of ['boats (maasplassen-availability)', 'pv (planviewer-mirror)', 'ambita (ambita-mirror)']) expect(out.stdout).toContain(name);
  });

  it('koppel status --json keeps stdout JSON and notes the missing secrets on stderr', async () => {
    const out = await koppel(['--config', config, 'status', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect((JSON.parse(out.stdout) as { pipeline: string }[]).map((p) => p.pipeline)).toEqual(['boats', 'pv', 'ambita']);
    expect(out.stderr).toContain('upstreams.ambita.password (environment variable RO_TEST_AMBITA_PASSWORD is not set)');
  });

  it('config check --no-secrets validates the rest and lists the unset secrets; plain config check refuses', async () => {
    const relaxed = await koppel(['--config', config, 'config', 'check', '--no-secrets']);
    expect(relaxed.code).toBe(0);
    expect(relaxed.stdout).toContain('valid (upstream secrets not required)');
    expect(relaxed.stdout).toContain('# secret not set: upstreams.planviewer.secret (environment variable RO_TEST_PV_SECRET is not set)');
    const strict = await koppel(['--config', config, 'config', 'check']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain('environment variable RO_TEST_PV_SECRET is not set');
  });

  it('--no-secrets still refuses a wrong key elsewhere, and a set secret that is malformed', async () => {
    const bad = await writeConfig(join(dir, 'bad.yaml'), {
      database: { url: '', pglite_dir: join(dir, 'pglite') },
      upstreams: { maasplassen: { apikey: 'pub.demo', secret: '${RO_TEST_MAAS_SECRET}', company_id: 'one' } },
    });
    const out = await koppel(['--config', bad, 'config', 'check', '--no-secrets'], { RO_TEST_MAAS_SECRET: 'not-sk' });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('upstreams.maasplassen.company_id: expected number');
    expect(out.stderr).toContain('upstreams.maasplassen.secret: expected a secret starting with "sk."');
  });
});
