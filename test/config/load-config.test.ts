import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/registries.js';
import { collectSecrets, maskSecrets } from '../../src/config/secrets.js';
import { ConfigError } from '../../src/core/errors.js';

const maas = `
upstreams:
  maasplassen:
    apikey: pub.abc-def
    secret: \${MAAS_SECRET}
    company_id: 1
`;

function problems(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(text, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('parseConfig', () => {
  it('fills defaults for an empty file', () => {
    const cfg = parseConfig('', {});
    expect(cfg.database.url).toBe('');
    expect(cfg.database.pglite_dir).toBe('./data/pglite');
    expect(cfg.http.port).toBe(8080);
    expect(cfg.pipelines).toEqual([]);
  });

  it('substitutes ${NAME} and ${NAME:-fallback} from the environment', () => {
    const cfg = parseConfig(`${maas}\nhttp: { host: "\${HOST:-127.0.0.1}" }\n`, { MAAS_SECRET: 'sk.s3cret' });
    expect(cfg.upstreams.maasplassen?.secret).toBe('sk.s3cret');
    expect(cfg.http.host).toBe('127.0.0.1');
  });

  it('names the key path, what was expected and what was found', () => {
    const msg = problems(`${maas}\npipelines:\n  - name: boats\n    type: maasplassen-availability\n    source: { csv: a.csv }\n    chunk_size: "50"\n`, { MAAS_SECRET: 'sk.x' });
    expect(msg).toContain('pipelines[0].chunk_size: expected number, got "50" (string)');
  });

  it('says which environment variable was missing for a secret', () => {
    const msg = problems(maas, {});
    expect(msg).toMatch(/upstreams\.maasplassen\.secret: .*got "" \(string\) \(environment variable MAAS_SECRET is not set\)/);
  });

  it('reports unknown keys (typos) and unknown pipeline types', () => {
    const msg = problems('databse: {}\npipelines:\n  - { name: x, type: nope }\n');
    expect(msg).toContain('(root): unknown key "databse"');
    expect(msg).toContain('pipelines[0].type: expected one of maasplassen-availability');
  });

  it('refuses a pipeline whose upstream is not configured, and duplicate names', () => {
    const entry = '  - { name: b, type: maasplassen-availability, source: { csv: a.csv } }\n';
    const msg = problems(`pipelines:\n${entry}${entry}`);
    expect(msg).toContain('pipelines[1].name: expected a unique name, got "b" (string) again');
    expect(msg).toContain('upstreams.maasplassen: expected a block');
  });

  it('refuses a bad cron expression and a wrong type', () => {
    const msg = problems(`${maas}\nhttp: { port: "x" }\npipelines:\n  - { name: b, type: maasplassen-availability, schedule: "every day", source: { csv: a.csv } }\n`, { MAAS_SECRET: 'sk.1' });
    expect(msg).toContain('http.port: expected number, got "x" (string)');
    expect(msg).toContain('pipelines[0].schedule: expected a cron expression');
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problems('database: [unclosed\n')).toMatch(/not valid YAML[\s\S]*line/i);
  });

  it('returns a frozen config', () => {
    const cfg = parseConfig(maas, { MAAS_SECRET: 'sk.1' });
    expect(Object.isFrozen(cfg.upstreams)).toBe(true);
  });

  it('accepts the documented example config', () => {
    const text = readFileSync('config/koppel.example.yaml', 'utf8');
    const env = {
      MAAS_APIKEY: 'pub.x', MAAS_SECRET: 'sk.y',
      PLANO_ACCOUNT_ID: 'acct', PLANO_USERNAME: 'admin', PLANO_PASSWORD: 'pw',
      PV_ACCESS_KEY: 'key', PV_SECRET: 'secret',
      AMBITA_CLIENT_ID: 'id', AMBITA_SECRET: 'secret', AMBITA_USERNAME: 'user', AMBITA_PASSWORD: 'pw', AMBITA_HOOK_TOKEN: 'a-long-webhook-token-1234',
    };
    const cfg = parseConfig(text, env);
    expect(cfg.pipelines.map((p) => p.type).sort()).toEqual(['ambita-mirror', 'maasplassen-availability', 'planogram-catalog', 'planviewer-mirror']);
    // Without the environment, the credentials are reported missing rather than silently defaulted.
    expect(() => parseConfig(text, { MAAS_APIKEY: 'pub.x', MAAS_SECRET: 'sk.y' })).toThrow(/environment variable PLANO_PASSWORD is not set/);
  });
});

describe('secrets', () => {
  const cfg = parseConfig(`${maas}\ndatabase: { url: "postgres://koppel:pa55word@db:5432/k" }\n`, { MAAS_SECRET: 'sk.topsecret' });

  it('masks secret keys and database passwords', () => {
    const masked = JSON.stringify(maskSecrets(cfg));
    expect(masked).not.toContain('sk.topsecret');
    expect(masked).not.toContain('pa55word');
    expect(masked).not.toContain('pub.abc-def');
    expect(masked).toContain('postgres://koppel:***@db:5432/k');
  });

  it('collects every secret value for log redaction', () => {
    expect(collectSecrets(cfg).sort()).toEqual(['pa55word', 'pub.abc-def', 'sk.topsecret'].sort());
  });
});
