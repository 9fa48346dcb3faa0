/**
 * ambita-mirror under SIGKILL: order requests arrive over time while Ambita finishes orders, adds, deletes and
 * replaces files and cancels orders; 20 runs are each killed at a seeded moment (on the Nth request the sandbox
 * receives: token, order, order read or a download in flight), then runs to completion. Proves: no request
 * ordered twice; every order either followed or left as a needs-attention request; the mirror holds exactly the
 * live files of the followed orders, each once, byte for byte, with no temporary left; run records that tell the
 * truth; no secret or issued token in any log.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueOrderRequest } from '../../src/orders/index.js';
import { type AmbitaSandbox, startAmbitaSandbox } from '../../sandbox/ambita/server.js';
import { createRandom, type ReceivedRequest } from '../../sandbox/kit.js';
import { sandboxAmbitaConfig } from '../ambita/fixtures.js';
import { hasPostgres } from '../helpers/database.js';
import { between, type ChildRun, type CrashWorld, createCrashWorld, expectTruthfulRunRecords, finishAfterKills, runKilledAtRequestOrDownload, walkFiles } from './crash-harness.js';

const KILLS = Number(process.env.KOPPEL_CRASH_RUNS ?? 20);
const SEED = Number(process.env.KOPPEL_CRASH_SEED ?? 20_240_614);
const REQUEST = { orderData: { address: 'Infoveien 1, 9999 Infoland', cadastre: '9999-1-1-0-0' }, reference: 'crash' };
const PRODUCT_SETS = [['WI99990001'], ['WI99990006'], ['WI99990002', 'WI99990003']];

describe.skipIf(!hasPostgres)('ambita-mirror killed with SIGKILL', () => {
  let sandbox: AmbitaSandbox;
  let world: CrashWorld;
  beforeAll(async () => {
    sandbox = await startAmbitaSandbox({ faults: { seed: SEED } });
    world = await createCrashWorld('ambita');
  });
  afterAll(async () => {
    await world?.close();
    await sandbox?.close();
  });

  it(`mirrors exactly the live files across ${KILLS} killed runs (seed ${SEED})`, async () => {
    await world.configure({
      log: { level: 'debug' },
      upstreams: { ambita: sandboxAmbitaConfig(sandbox, { retry: { max_attempts: 6, base_delay_ms: 1, max_delay_ms: 5, max_retry_after_ms: 50 } }) },
      // No push reaches a child process here: every run sweeps all followed orders instead.
      pipelines: [{ name: 'ambita', type: 'ambita-mirror', municipalities: ['9999'], sweep_interval_minutes: 0, daily_order_cap: 1000 }],
    });
    const random = createRandom(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    // Larger files than the default, so that some kills land mid-download.
    const bigFile = () => ({ content: randomBytes(between(random, 1, 4) * 1024 * 1024), filename: 'Vedlegg.pdf' });

    const runs: ChildRun[] = [];
    let partsSeen = 0;
    for (let i = 0; i < KILLS; i++) {
      if (i % 2 === 0) await enqueueOrderRequest(world.db, { upstream: 'ambita', pipeline: 'ambita', request: { ...REQUEST, products: pick(PRODUCT_SETS) } });
      // Ambita moves on between runs.
      for (const o of [...sandbox.book.orders.values()].filter((x) => x.status !== 'CANCELLED' && x.status !== 'REFUNDED')) {
        const roll = random();
        const assets = sandbox.liveAssets().filter((a) => a.orderId === o.id);
        if (o.status !== 'FINISHED' && roll < 0.5) await sandbox.finish(o.id);
        else if (roll < 0.7) await sandbox.addAsset(o.id, bigFile());
        else if (roll < 0.8 && assets.length > 0) await sandbox.deleteAsset(pick(assets).asset.id);
        else if (roll < 0.9 && assets.length > 0) await sandbox.replaceAsset(pick(assets).asset.id, bigFile());
        else if (roll < 0.93) await sandbox.cancel(o.id);
      }
      runs.push(
        await runKilledAtRequestOrDownload(world, sandbox.requests as ReceivedRequest[], random, {
          isDownload: (path) => path.startsWith('/shopping/v2/assets/'),
          maxRequest: 8,
          maxDownload: 3,
        }),
      );
      partsSeen += (await walkFiles(world.root)).parts.length;
    }
    await finishAfterKills(world, runs, KILLS);

    // 1. No request ordered twice; every order placed is followed, or its request waits for a human.
    const requests = await world.db.selectFrom('order_requests').select(['id', 'status']).where('upstream', '=', 'ambita').execute();
    const orders = [...sandbox.book.orders.values()];
    for (const r of requests) expect(orders.filter((o) => o.technicalReference === String(r.id)).length, `orders of request ${r.id}`).toBeLessThanOrEqual(1);
    const followed = new Set((await world.db.selectFrom('ambita_orders').select('order_id').execute()).map((o) => Number(o.order_id)));
    const status = new Map(requests.map((r) => [String(r.id), r.status]));
    for (const o of orders) if (!followed.has(o.id)) expect(status.get(o.technicalReference ?? ''), `order ${o.id}`).toBe('needs-attention');
    expect(requests.filter((r) => !['completed', 'ordered', 'failed', 'needs-attention', 'cancelled', 'refunded'].includes(r.status))).toEqual([]);
    // A request is cancelled or refunded exactly when Ambita's order for it is.
    for (const o of orders) {
      const vendorEnd = o.status === 'CANCELLED' ? 'cancelled' : o.status === 'REFUNDED' ? 'refunded' : undefined;
      if (vendorEnd && followed.has(o.id)) expect(status.get(o.technicalReference ?? ''), `order ${o.id} (${o.status})`).toBe(vendorEnd);
    }
    for (const r of requests.filter((q) => q.status === 'cancelled' || q.status === 'refunded')) {
      expect(orders.find((o) => o.technicalReference === String(r.id))?.status, `request ${r.id}`).toBe(r.status.toUpperCase());
    }

    // 2. The mirror holds exactly the live files of the followed orders, once each, byte for byte.
    const expected = new Map(sandbox.liveAssets().filter((a) => followed.has(a.orderId)).map((a) => [a.asset.id, a]));
    const rows = await world.db.selectFrom('ambita_assets').select(['asset_id', 'order_id', 'path', 'sha256']).where('state', '=', 'stored').execute();
    expect(rows.map((r) => r.asset_id).sort()).toEqual([...expected.keys()].sort());
    const disk = await walkFiles(world.root);
    expect([...disk.files.keys()].sort()).toEqual(rows.map((r) => r.path!).sort());
    for (const r of rows) {
      const want = expected.get(r.asset_id)!;
      const sha = createHash('sha256').update(want.asset.content).digest('hex');
      expect(disk.files.get(r.path!), r.path!).toBe(sha);
      expect(r.sha256).toBe(sha);
    }
    // 3. No temporary left: a kill mid-download leaves one, and the next download of that file removes it.
    expect(disk.parts).toEqual([]);

    await expectTruthfulRunRecords(world.db, 'ambita', runs);
    world.expectNoSecretsInLogs(sandbox.issuedTokens());
    console.info(`[crash ambita] seed ${SEED}: ${runs.filter((r) => r.killed).length} kills, ${orders.length} orders, ${rows.length} files, ${partsSeen} temporaries seen after kills`);
  });
});
