/**
 * Hostile answers from upstreams: a key of the wrong company, an HTML error page where JSON was expected, a 200
 * with a broken JSON body, a Retry-After hours away. Each run ends with an error naming the upstream, the
 * operation and why, after a bounded number of attempts (never an endless retry, never a run blocked for hours),
 * and nothing is pushed or recorded as done that was not.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { HEADER, type MaasWorld, good, maasWorld } from '../helpers/maas-world.js';

/** A tiny server answering every request with `status`, `type` and `body`; counts what it received. */
async function fakeUpstream(status: number, type: string, body: string): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    req.resume();
    res.writeHead(status, { 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const HTML = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><hr>nginx</body></html>';

describe('hostile upstream answers (maasplassen)', () => {
  let sandbox: MaasplassenSandbox;
  let w: MaasWorld;
  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
  });
  afterAll(() => sandbox.close());
  afterEach(async () => {
    await w?.app.dispose();
    sandbox.reset();
    sandbox.faults.set({ rateLimitRate: 0, errorRate: 0 });
  });

  const updates = () => sandbox.requests.filter((r) => r.path.endsWith('/availability/update'));

  it('a key of the wrong company: 403, the run fails with a hint at the config keys, asked once, nothing pushed', async () => {
    w = await maasWorld(sandbox, { upstream: { company_id: 2 } });
    await writeFile(w.csv, `${HEADER}\n${good('91', 1)}\n`);
    const r = await w.run();
    expect(r.outcome).toBe('failed');
    expect(r.error?.message).toMatch(/^maasplassen fleet: .*check upstreams\.maasplassen apikey, secret and company_id$/);
    expect(sandbox.requests.map((q) => [q.path, q.status])).toEqual([['/api/v2/company/2/fleet/', 403]]);
    expect(updates()).toHaveLength(0);
    expect(await w.app.db.kysely.selectFrom('item_state').selectAll().execute()).toEqual([]);
  });

  it('an HTML error page instead of JSON: a bounded number of attempts, then an error naming upstream, operation and status', async () => {
    const fake = await fakeUpstream(502, 'text/html', HTML);
    try {
      w = await maasWorld(sandbox, { upstream: { base_url: fake.url, retry: { max_attempts: 3, base_delay_ms: 1, max_delay_ms: 2 } } });
      await writeFile(w.csv, `${HEADER}\n${good('91', 1)}\n`);
      const r = await w.run();
      expect(r.outcome).toBe('failed');
      expect(r.error?.message).toBe('maasplassen fleet: HTTP 502 (answer was text/html, not JSON)');
      expect(fake.hits).toEqual(Array(3).fill('POST /api/v2/company/1/fleet/'));
    } finally {
      await fake.close();
    }
  });

  it('a 200 with a malformed JSON body: bounded retries, then "answer was not JSON"; nothing recorded as pushed', async () => {
    const fake = await fakeUpstream(200, 'application/json', '{"data": [{"bootid": 6, "ext_id": "91"');
    try {
      w = await maasWorld(sandbox, { upstream: { base_url: fake.url, retry: { max_attempts: 3, base_delay_ms: 1, max_delay_ms: 2 } } });
      await writeFile(w.csv, `${HEADER}\n${good('91', 1)}\n`);
      const r = await w.run();
      expect(r.outcome).toBe('failed');
      expect(r.error?.message).toBe('maasplassen fleet: answer was not JSON (HTTP 200)');
      expect(fake.hits).toHaveLength(3);
      expect(await w.app.db.kysely.selectFrom('item_state').selectAll().execute()).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it('a Retry-After 10 hours away (default policy): not waited out; the run fails at once saying when to come back', async () => {
    w = await maasWorld(sandbox);
    await writeFile(w.csv, `${HEADER}\n${good('91', 1)}\n`);
    sandbox.faults.set({ rateLimitRate: 1, retryAfterSeconds: 36_000 });
    const started = Date.now();
    const r = await w.run();
    expect(Date.now() - started).toBeLessThan(30_000); // the policy's longest wait is 120 s; a 10 h one must not be taken
    expect(r.outcome).toBe('failed');
    expect(r.error?.message).toMatch(/^maasplassen fleet: .*\(the upstream asked to wait 36000 s, longer than retry\.max_retry_after_ms 120000 ms: not waited out/);
    expect(sandbox.requests).toHaveLength(1);
    expect(updates()).toHaveLength(0);
  });
});
