/**
 * Hostile configuration: a wrong type, an unset secret, typos, an unreachable database, a config that is not
 * there or not YAML. Each error names the key path (or file) and what was expected; the CLI exits 2 for all of
 * them, prints no secret, and has touched nothing (no database, no files, no upstream call).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/registries.js';
import { ConfigError } from '../../src/core/errors.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { koppel, maasUpstream, writeConfig } from '../fixtures/koppel-process.js';
import { findSecretLeaks } from '../helpers/secret-leaks.js';
import { type MaasWorld, HEADER, good, maasWorld } from '../helpers/maas-world.js';
import { stringify } from 'yaml';

const DB_PASSWORD = 'db-pass-w0rd-9f3e';

/** The ConfigError message `text` produces (fails if it parses). */
function configError(raw: Record<string, unknown> | string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(typeof raw === 'string' ? raw : stringify(raw), env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const maas = { base_url: 'http://127.0.0.1:1/api/v2', apikey: 'pub.key-1234', secret: '${MAAS_SECRET}', company_id: 1 };
const SECRET = 'sk.abcd-1234';
const boats = { name: 'boats', type: 'maasplassen-availability', source: { csv: 'x.csv' } };

describe('hostile config (parsing)', () => {
  it('a wrong type names the key path, what was expected and what was found', () => {
    expect(configError({ upstreams: { maasplassen: { ...maas, company_id: 'one' } }, pipelines: [{ ...boats, chunk_size: '50' }] }, { MAAS_SECRET: SECRET })).toBe(
      'config: 2 problems:\n  upstreams.maasplassen.company_id: expected number, got "one" (string)\n  pipelines[0].chunk_size: expected number, got "50" (string)',
    );
  });

  it('an unset secret names the key and the environment variable, and prints no other secret', () => {
    const message = configError({ upstreams: { maasplassen: { ...maas, apikey: 'pub.visible-key-5678' } }, pipelines: [boats] }, {});
    expect(message).toBe('config: 1 problem:\n  upstreams.maasplassen.secret: expected a secret starting with "sk.", got "" (string) (environment variable MAAS_SECRET is not set)');
  });

  it('a malformed secret is named by its key path and length, never echoed (found: it was printed before)', () => {
    const pasted = 'pub.this-is-the-api-key-in-the-wrong-field';
    const message = configError({ database: { url: 'mysql://u:db-pass-xyz@h/d' }, upstreams: { maasplassen: { ...maas, apikey: 'wrong-key-5678' } }, pipelines: [boats] }, { MAAS_SECRET: pasted });
    expect(message).toContain(`upstreams.maasplassen.secret: expected a secret starting with "sk.", got a value of ${pasted.length} characters (not shown: secret)`);
    expect(message).toContain('upstreams.maasplassen.apikey: expected a key starting with "pub.", got a value of 14 characters (not shown: secret)');
    expect(message).toMatch(/database\.url: .*mysql:\/\/u:\*\*\*@h\/d/);
    expect(findSecretLeaks(message, [pasted, 'wrong-key-5678', 'db-pass-xyz'].map((value) => ({ label: value, value })))).toEqual([]);
  });

  it('a typo in a key is an unknown key, not silently ignored', () => {
    expect(configError({ upstreams: { maasplassen: { ...maas, compnay_id: 1 } }, pipelines: [{ ...boats, chunk_szie: 5 }] }, { MAAS_SECRET: SECRET })).toMatch(
      /upstreams\.maasplassen: unknown key "compnay_id"[\s\S]*pipelines\[0\]: unknown key "chunk_szie"/,
    );
  });

  it('out-of-range numbers in the config are refused with the allowed range', () => {
    const message = configError({ http: { port: 70000 }, upstreams: { maasplassen: { ...maas, rate: { concurrency: -1 } } }, pipelines: [{ ...boats, chunk_size: 0 }] }, { MAAS_SECRET: SECRET });
    expect(message).toMatch(/http\.port: .*65535.*70000/);
    expect(message).toMatch(/upstreams\.maasplassen\.rate\.concurrency: .*-1/);
    expect(message).toMatch(/pipelines\[0\]\.chunk_size: .*>=1.*0/);
  });
});

describe('plaintext only to loopback (credentials never go in clear because of one typo)', () => {
  const pv = { access_key: 'pv-access-1', secret: 'pv-secret-1' };
  const ambita = { client_id: 'c', client_secret: 'ambita-secret-1', username: 'u', password: 'ambita-pw-1' };
  const plano = { account_id: 'A', username: 'u', password: 'plano-pw-1' };
  const hint = 'credentials would travel unencrypted; set allow_insecure: true in this block to allow it';

  it('http:// base URLs, an http:// token URL and tls: false to other hosts are refused, each naming its key path', () => {
    const message = configError(
      {
        upstreams: {
          maasplassen: { ...maas, base_url: 'http://maasplassen.vannut.net/api/v2' },
          planviewer: { ...pv, base_url: 'http://www.planviewer.nl' },
          ambita: { ...ambita, base_url: 'https://beta-api.ambita.com', token_url: 'http://beta-api.ambita.com/authentication/v2/token' },
          planogrambuilder: { ...plano, endpoint: 'planoapi.zvisuel.com:443', tls: false },
        },
      },
      { MAAS_SECRET: SECRET },
    );
    expect(message).toBe(
      [
        'config: 4 problems:',
        `  upstreams.maasplassen.base_url: expected https:// for a host other than loopback (${hint}), got "http://maasplassen.vannut.net/api/v2" (string)`,
        `  upstreams.planviewer.base_url: expected https:// for a host other than loopback (${hint}), got "http://www.planviewer.nl" (string)`,
        `  upstreams.ambita.token_url: expected https:// for a host other than loopback (${hint}), got "http://beta-api.ambita.com/authentication/v2/token" (string)`,
        `  upstreams.planogrambuilder.tls: expected true for endpoint planoapi.zvisuel.com:443, which is not loopback (${hint}), got false (boolean)`,
      ].join('\n'),
    );
  });

  it('an http:// Ambita base URL is refused also when the token URL is derived from it', () => {
    expect(configError({ upstreams: { ambita: { ...ambita, base_url: 'http://api.example.no' } } })).toContain('upstreams.ambita.base_url: expected https://');
  });

  it('loopback hosts (127.0.0.0/8, ::1, localhost) may be plaintext: the sandboxes and tests use them', () => {
    for (const host of ['127.0.0.1:8080', '127.9.8.7', '[::1]:9000', 'localhost:3000', 'sandbox.localhost']) {
      const cfg = parseConfig(
        stringify({
          upstreams: {
            maasplassen: { ...maas, base_url: `http://${host}/api/v2` },
            planviewer: { ...pv, base_url: `http://${host}` },
            ambita: { ...ambita, base_url: `http://${host}`, token_url: `http://${host}/token` },
            planogrambuilder: { ...plano, endpoint: host.includes(':') && !host.startsWith('[') ? host : '127.0.0.1:50051', tls: false },
          },
        }),
        { MAAS_SECRET: SECRET },
      );
      expect(cfg.upstreams.planviewer?.allow_insecure).toBe(false);
    }
  });

  it('allow_insecure: true in the block lets plaintext through to any host', () => {
    const cfg = parseConfig(
      stringify({
        upstreams: {
          maasplassen: { ...maas, base_url: 'http://maasplassen.vannut.net/api/v2', allow_insecure: true },
          planogrambuilder: { ...plano, endpoint: 'plano.internal:50051', tls: false, allow_insecure: true },
        },
      }),
      { MAAS_SECRET: SECRET },
    );
    expect(cfg.upstreams.maasplassen?.base_url).toBe('http://maasplassen.vannut.net/api/v2');
    expect(cfg.upstreams.planogrambuilder?.tls).toBe(false);
  });

  it('config check explains plaintext: exit 2 with the hint, and a note when allow_insecure is in use', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'koppel-plaintext-'));
    try {
      const refused = await writeConfig(join(dir, 'refused.yaml'), { upstreams: { planviewer: { ...pv, base_url: 'http://www.planviewer.nl' } } });
      const res = await koppel(['config', 'check', '--config', refused]);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`upstreams.planviewer.base_url: expected https:// for a host other than loopback (${hint})`);
      const allowed = await writeConfig(join(dir, 'allowed.yaml'), { upstreams: { planviewer: { ...pv, base_url: 'http://www.planviewer.nl', allow_insecure: true } } });
      const ok = await koppel(['config', 'check', '--config', allowed]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('# note: upstreams.planviewer.allow_insecure is true: plaintext (http://, tls: false) to hosts other than loopback is allowed, and credentials then travel unencrypted');
      expect(ok.stdout).not.toContain('pv-secret-1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hostile mapping file (maasplassen-availability)', () => {
  let sandbox: MaasplassenSandbox;
  let w: MaasWorld;
  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
  });
  afterAll(async () => {
    await w?.app.dispose();
    await sandbox.close();
  });

  it('a typo in a mapping key fails the run naming the mapping file and the key; nothing is pushed', async () => {
    w = await maasWorld(sandbox, { pipeline: (dir) => ({ mapping: join(dir, 'mapping.yaml') }) });
    const mapping = join(w.app.dir, 'mapping.yaml');
    await writeFile(mapping, 'boat: boat_id\ndaet: date\nprices:\n  - { desc: price1_desc_nl, cents: price1_cents }\n');
    await writeFile(w.csv, `${HEADER}\n${good('91', 1)}\n`);
    const r = await w.run();
    expect(r.outcome).toBe('failed');
    expect(r.error?.message).toMatch(new RegExp(`^mapping ${mapping.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`));
    expect(r.error?.message).toMatch(/date: expected string, got nothing/);
    expect(r.error?.message).toMatch(/unknown key "daet"/);
    expect(sandbox.availabilityCount()).toBe(0);
  });
});

describe('hostile config (command line, exit 2)', () => {
  let dir: string;
  let sandbox: MaasplassenSandbox;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-hostile-cli-'));
    sandbox = await startMaasplassenSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('an unreachable database: exit 1 (an outage, not bad config), names database.url with the password masked, nothing sent upstream', async () => {
    const config = await writeConfig(join(dir, 'unreachable.yaml'), {
      database: { url: `postgres://koppel:${DB_PASSWORD}@127.0.0.1:1/koppel` },
      upstreams: { maasplassen: maasUpstream(sandbox) },
      pipelines: [{ name: 'boats', type: 'maasplassen-availability', source: { csv: join(dir, 'none.csv') } }],
    });
    const res = await koppel(['run', 'boats', '--config', config], { MAAS_SECRET: String(sandbox.credentials.secret) });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/database\.url: cannot connect to postgres:\/\/koppel:\*\*\*@127\.0\.0\.1:1\/koppel: .*ECONNREFUSED/);
    expect(findSecretLeaks(res.stdout + res.stderr, [{ label: 'database.url password', value: DB_PASSWORD }, { label: 'maasplassen secret', value: String(sandbox.credentials.secret) }])).toEqual([]);
    expect(sandbox.requests).toHaveLength(0);
  });

  it('a config file that does not exist: exit 2 naming the path and ENOENT; no database is created', async () => {
    const res = await koppel(['run', 'boats', '--config', join(dir, 'missing.yaml')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`config: cannot read ${join(dir, 'missing.yaml')}: ENOENT`);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('a config that is not YAML: exit 2 with the position of the syntax error; nothing written', async () => {
    const path = join(dir, 'broken.yaml');
    await writeFile(path, 'upstreams:\n  maasplassen: { base_url: "http://x\npipelines: [\n');
    const before = await readdir(dir);
    const res = await koppel(['config', 'check', '--config', path]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid YAML:[\\s\\S]*line \\d+`));
    expect(await readdir(dir)).toEqual(before);
  });
});
