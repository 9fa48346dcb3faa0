/**
 * Each upstream's default rate (issue 16): without a `rate:` block PlanogramBuilder gets its own default, not the
 * generic 4/10, a key left out takes that default, and `config check` prints the effective rate with its source.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/registries.js';
import { ConfigError } from '../../src/core/errors.js';
import { PLANOGRAMBUILDER_DEFAULT_RATE } from '../../src/upstreams/planogrambuilder/config.js';
import { koppel, writeConfig } from '../fixtures/koppel-process.js';

const plano = { endpoint: '127.0.0.1:50051', tls: false, account_id: 'ACME', username: 'admin', password: 'plano-pass-7f2e' };
const pv = { base_url: 'https://www.planviewer.nl', access_key: 'ak_1', secret: 'pv-secret-1' };
const PLANO_BASIS = 'default for planogrambuilder (vendor doc planogrambuilder-api-v1-reference.txt v1.2.3: no rate limit documented, gRPC over HTTP/2)';

describe('upstream rate defaults', () => {
  it('PlanogramBuilder without a rate block runs at its own default (8 in flight, 50/s), and says so', () => {
    const cfg = parseConfig(stringify({ upstreams: { planogrambuilder: plano } }), {});
    expect(cfg.upstreams.planogrambuilder?.rate).toEqual({ concurrency: 8, per_second: 50, source: PLANO_BASIS });
    expect(PLANOGRAMBUILDER_DEFAULT_RATE).toMatchObject({ concurrency: 8, per_second: 50 });
  });

  it('a rate block wins, and a key left out takes the upstream default with a source naming it', () => {
    const full = parseConfig(stringify({ upstreams: { planogrambuilder: { ...plano, rate: { concurrency: 2, per_second: 3 } } } }), {});
    expect(full.upstreams.planogrambuilder?.rate).toEqual({ concurrency: 2, per_second: 3, source: 'config' });
    const partial = parseConfig(stringify({ upstreams: { planogrambuilder: { ...plano, rate: { concurrency: 2 } } } }), {});
    expect(partial.upstreams.planogrambuilder?.rate).toEqual({ concurrency: 2, per_second: 50, source: `config; per_second: ${PLANO_BASIS}` });
    const other = parseConfig(stringify({ upstreams: { planviewer: pv } }), {});
    expect(other.upstreams.planviewer?.rate).toMatchObject({ concurrency: 4, per_second: 10 });
    expect(other.upstreams.planviewer?.rate.source).toMatch(/^default for planviewer \(vendor doc planviewer-product-api-jobs\.txt/);
  });

  it('a bad rate key is still refused with its path', () => {
    expect(() => parseConfig(stringify({ upstreams: { planogrambuilder: { ...plano, rate: { concurrency: 0 } } } }), {})).toThrow(ConfigError);
    expect(() => parseConfig(stringify({ upstreams: { planogrambuilder: { ...plano, rate: { concurency: 8 } } } }), {})).toThrow(/upstreams\.planogrambuilder\.rate/);
  });

  it('config check prints each effective rate with its source, and the output is still a valid config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'koppel-rate-'));
    try {
      const path = await writeConfig(join(dir, 'k.yaml'), { upstreams: { planogrambuilder: plano, planviewer: { ...pv, rate: { concurrency: 2, per_second: 1 } } } });
      const res = await koppel(['config', 'check', '--config', path]);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain(`# rate: upstreams.planogrambuilder: 8 in flight, 50 per second, from ${PLANO_BASIS}\n`);
      expect(res.stdout).toContain('# rate: upstreams.planviewer: 2 in flight, 1 per second, from config\n');
      // The printed config parses again (source stays a comment) and keeps the same effective rates.
      const again = parseConfig(res.stdout.replaceAll('"****"', '"x"').replaceAll('****', 'x'), {});
      expect(again.upstreams.planogrambuilder?.rate).toMatchObject({ concurrency: 8, per_second: 50 });
      expect(again.upstreams.planviewer?.rate).toMatchObject({ concurrency: 2, per_second: 1, source: 'config' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
