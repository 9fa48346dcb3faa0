/**
 * Hostile deliverables and order answers: Planviewer Content-Disposition names and Ambita asset names that try
 * path traversal, control characters, reserved names and absurd lengths; Planviewer's 402 (payment off) and
 * 429 (daily cap). Files land under storage.root with sanitised names and nothing is written anywhere else
 * (storage.root is nested deep in the scratch folder, so a traversal that escaped it would still show up there);
 * a refused order is never retried and the other requests are untouched.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { enqueueOrderRequest } from '../../src/orders/index.js';
import { type AmbitaSandbox, startAmbitaSandbox } from '../../sandbox/ambita/server.js';
import { HOSTILE_FILENAMES } from '../../sandbox/planviewer/data.js';
import { type PlanviewerSandbox, type PlanviewerSandboxOptions, startPlanviewerSandbox } from '../../sandbox/planviewer/server.js';
import { type TestApp, createTestApp } from '../helpers/app.js';
import { sandboxAmbitaConfig } from '../ambita/fixtures.js';
import { KIND } from '../helpers/maas-world.js';

const ROOT_PARTS = ['deep', 'er', 'still', 'files'];

/** Every file under `dir`, relative to it. */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** Files written anywhere in the scratch folder except the storage root and the embedded database. */
async function strayFiles(app: TestApp): Promise<string[]> {
  return (await allFiles(app.dir)).filter((f) => !f.startsWith(join(...ROOT_PARTS) + sep) && !f.startsWith(`pglite${sep}`));
}

const SAFE_NAME = /^[^\u0000-\u001f\u007f/\\<>:"|?*`$]+$/;

describe('hostile deliverable names and order refusals (planviewer-mirror)', () => {
  let sandbox: PlanviewerSandbox;
  let app: TestApp;
  afterEach(async () => {
    await app?.dispose();
    await sandbox?.close();
  });

  async function setup(options: PlanviewerSandboxOptions, cap = 10) {
    sandbox = await startPlanviewerSandbox(options);
    app = await createTestApp(KIND, (dir) => ({
      storage: { root: join(dir, ...ROOT_PARTS) },
      upstreams: {
        planviewer: {
          base_url: sandbox.url,
          access_key: 'pv-demo-access-key',
          secret: '${PV_SECRET}',
          daily_order_cap: cap,
          retry: { base_delay_ms: 1, max_delay_ms: 5, max_attempts: 4 },
          rate: { concurrency: 8, per_second: 10_000 },
        },
      },
      pipelines: [{ name: 'pv', type: 'planviewer-mirror', poll: { initial_delay_ms: 0, max_delay_ms: 0, max_wait_ms: 60_000 } }],
    }), { PV_SECRET: 'pv-demo-secret' });
  }
  const enqueue = async (address: string) => (await enqueueOrderRequest(app.db.kysely, { upstream: 'planviewer', request: { address, product: 'vraagprijsrapport' } })).request.id;
  const states = async () => new Map((await app.db.kysely.selectFrom('order_requests').select(['id', 'status', 'reason']).execute()).map((r) => [Number(r.id), r]));
  const orderCalls = () => sandbox.requests.filter((r) => r.path.endsWith('/jobs/order')).length;

  it('Content-Disposition names with ../, \\, NUL+CRLF, "..", absolute paths, CON, 400 chars: all land under storage.root, sanitised', async () => {
    await setup({ hostileFilenames: true });
    // Two products for five addresses: ten deliverables, so every one of the sandbox's nine hostile names is sent.
    for (const address of ['6512EX 2', '6811LW 61', '2011RD 1', '3511ED 1', '5611EB 12']) {
      for (const product of ['vraagprijsrapport', 'percelenrapport']) await enqueueOrderRequest(app.db.kysely, { upstream: 'planviewer', request: { address, product } });
    }
    await app.runner.run('pv');
    await app.runner.run('pv');
    const files = await app.db.kysely.selectFrom('planviewer_files').selectAll().execute();
    const root = resolve(app.config.storage.root);
    expect(new Set(files.map((f) => f.vendor_filename))).toEqual(new Set(HOSTILE_FILENAMES.map((n) => n.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))));
    for (const f of files) {
      const abs = resolve(root, f.path);
      expect(abs.startsWith(join(root, 'planviewer', f.job_uuid) + sep), f.path).toBe(true);
      const name = f.path.split('/').at(-1)!;
      expect(name, JSON.stringify(f.vendor_filename)).toMatch(SAFE_NAME);
      expect(name.startsWith('.')).toBe(false);
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
      expect(name).not.toMatch(/^(con|prn|aux|nul)(\..*)?$/i);
      expect((await readFile(abs)).length).toBe(Number(f.size));
    }
    // The vendor's name is kept for humans, with control characters spelled out (Postgres text refuses NUL).
    expect(files.some((f) => f.vendor_filename?.includes('\\x00'))).toBe(true);
    expect(await strayFiles(app)).toEqual([]);
  });

  it('429 daily cap: the untried requests are capped with the reason, ordering stops for the day, nothing is retried', async () => {
    await setup({ dailyCap: 1, capGrace: 0 }, 50);
    const [a, b, c] = [await enqueue('6512EX 2'), await enqueue('6811LW 61'), await enqueue('3511ED 1')];
    const r = await app.runner.run('pv');
    expect(r.error).toBeUndefined();
    const s = await states();
    expect(s.get(a)!.status).toBe('completed');
    expect(s.get(b)).toMatchObject({ status: 'capped', reason: expect.stringMatching(/daily order cap/) });
    expect(s.get(c)).toMatchObject({ status: 'capped', reason: expect.stringMatching(/daily order cap/) });
    expect(orderCalls()).toBe(2);
    await app.runner.run('pv');
    expect(orderCalls()).toBe(2);
    expect(await app.db.kysely.selectFrom('planviewer_files').select('job_uuid').execute()).toHaveLength(1);
  });

  it('402 (payment on account off): the request needs attention naming 402, others stay pending, no retry', async () => {
    await setup({ paymentOnAccount: false });
    const [a, b] = [await enqueue('6512EX 2'), await enqueue('6811LW 61')];
    const r = await app.runner.run('pv');
    expect(r.outcome).toBe('attention');
    const s = await states();
    expect(s.get(a)).toMatchObject({ status: 'needs-attention', reason: expect.stringMatching(/402/) });
    expect(s.get(b)!.status).toBe('pending');
    expect(orderCalls()).toBe(1);
    expect(sandbox.ordersPlaced()).toHaveLength(0);
  });
});

describe('hostile asset names (ambita-mirror)', () => {
  let sandbox: AmbitaSandbox;
  let app: TestApp;
  afterEach(async () => {
    await app?.dispose();
    await sandbox?.close();
  });

  it('asset names with traversal, NUL/CR/LF, reserved and huge names land under storage.root; the rows keep them readable', async () => {
    sandbox = await startAmbitaSandbox();
    app = await createTestApp(KIND, (dir) => ({
      storage: { root: join(dir, ...ROOT_PARTS) },
      upstreams: { ambita: { ...sandboxAmbitaConfig(sandbox), client_secret: '${AMBITA_SECRET}' } },
      pipelines: [{ name: 'ambita', type: 'ambita-mirror', municipalities: ['9999'], sweep_interval_minutes: 60 }],
    }), { AMBITA_SECRET: String(sandbox.credentials.client_secret) });
    app.watchSecrets('ambita sandbox access/refresh token', () => sandbox.issuedTokens());
    await enqueueOrderRequest(app.db.kysely, {
      upstream: 'ambita',
      pipeline: 'ambita',
      request: { products: ['WI99990001'], orderData: { address: 'Infoveien 1, 9999 Infoland', cadastre: '9999-1-1-0-0' }, reference: 'hostile' },
    });
    expect((await app.runner.run('ambita')).error).toBeUndefined();
    const orderId = [...sandbox.book.orders.keys()][0]!;
    await sandbox.finish(orderId);
    const hostile = [
      { filename: '../../../../../../tmp/koppel-evil.pdf', name: 'x.pdf' },
      { filename: '..\\..\\windows\\evil.pdf', name: 'y.pdf' },
      { filename: 'rapport\u0000\r\nX-Evil: 1.pdf', name: 'n\u0000ul.pdf' },
      { filename: '..', name: '../../up.pdf' },
      { filename: '/etc/cron.d/evil', name: 'z.pdf' },
      { filename: 'CON', name: 'con.pdf' },
      { filename: `${'lang'.repeat(120)}.pdf`, name: 'l.pdf' },
    ];
    for (const h of hostile) await sandbox.addAsset(orderId, h);
    const r = await app.runner.run('ambita');
    expect(r.error).toBeUndefined();
    expect(r.counts.failed).toBe(0);
    const rows = await app.db.kysely.selectFrom('ambita_assets').selectAll().where('state', '=', 'stored').execute();
    expect(rows).toHaveLength(sandbox.liveAssets().length);
    const root = resolve(app.config.storage.root);
    for (const row of rows) {
      const abs = resolve(root, row.path!);
      expect(abs.startsWith(join(root, 'ambita', String(orderId)) + sep), row.path!).toBe(true);
      // The asset id stays in front, so two hostile names that sanitise alike can never overwrite each other.
      expect(row.path!.split('/').at(-1)).toMatch(new RegExp(`^${row.asset_id}_`));
      expect(row.path!.split('/').at(-1)).toMatch(SAFE_NAME);
      const want = sandbox.liveAssets().find((a) => a.asset.id === row.asset_id)!.asset.content;
      expect((await readFile(abs)).equals(want), row.path!).toBe(true);
    }
    expect(rows.find((x) => x.filename?.startsWith('rapport'))?.filename).toBe('rapport\\x00\\x0d\\x0aX-Evil: 1.pdf');
    expect(await strayFiles(app)).toEqual([]);
    // A second run finds everything in place: nothing downloaded again (the spelled-out names do not look changed).
    const again = await app.runner.run('ambita');
    expect(again.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
  });
});
