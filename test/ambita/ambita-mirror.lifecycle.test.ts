import { afterEach, describe, expect, it } from 'vitest';
import { createRandom } from '../../sandbox/kit.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { CADASTRE_REQUEST, expectMirrorEqualsSandbox, type MirrorHarness, startMirrorHarness } from './harness.js';

let h: MirrorHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.each(testDatabaseKinds)('ambita-mirror lifecycle on %s', (kind) => {
  it('follows one order: finish, deleted asset, update after finish, refund', async () => {
    h = await startMirrorHarness(kind);
    const { sandbox } = h;
    const requestId = await h.order(CADASTRE_REQUEST);
    expect((await h.run()).outcome).toBe('succeeded');
    const order = [...sandbox.book.orders.values()][0]!;
    expect(order.technicalReference).toBe(String(requestId));
    await h.settle(); // the NEW push
    await sandbox.advance(order.id);
    await sandbox.finish(order.id);
    const runs = await h.settle();
    expect(runs.map((r) => r.outcome)).toEqual(['succeeded']);
    expect(runs[0]!.counts.created).toBe(2);
    await expectMirrorEqualsSandbox(h);
    const req = await h.t.db.kysely.selectFrom('order_requests').selectAll().where('id', '=', requestId).executeTakeFirstOrThrow();
    expect(req.status).toBe('completed');

    const lineAsset = order.orders[0]!.lines[0]!.assets[0]!;
    await sandbox.deleteAsset(lineAsset.id);
    await sandbox.update(order.id, { filename: 'Tillegg.pdf' }); // order level, after FINISHED
    await sandbox.update(order.id, { lineId: order.orders[0]!.lines[1]!.id, filename: 'Tillegg.pdf' }); // same name, other asset
    await h.settle();
    await expectMirrorEqualsSandbox(h);
    const deleted = await h.t.db.kysely.selectFrom('ambita_assets').selectAll().where('asset_id', '=', lineAsset.id).executeTakeFirstOrThrow();
    expect(deleted).toMatchObject({ state: 'deleted', removed_reason: 'asset-deleted' });

    // A re-run with nothing new downloads nothing.
    const calm = await h.run({ full: true });
    expect(calm.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
    expect(calm.counts.unchanged).toBe(4);

    await sandbox.refund(order.id);
    await h.settle();
    await expectMirrorEqualsSandbox(h);
    const removed = await h.t.db.kysely.selectFrom('ambita_assets').select(['state', 'removed_reason']).where('removed_reason', '=', 'order-refunded').execute();
    expect(removed).toHaveLength(3);
    // Ambita's decision, in its own state: not "failed", which would read like a koppel fault.
    const refunded = await h.t.db.kysely.selectFrom('order_requests').selectAll().where('id', '=', requestId).executeTakeFirstOrThrow();
    expect(refunded).toMatchObject({ status: 'refunded', reason_code: 'vendor-refunded', reason: expect.stringContaining(`Ambita refunded order ${order.id}`) });
  });

  it('after any sequence of events, with pushes lost and faults injected, the mirror equals the sandbox', async () => {
    h = await startMirrorHarness(kind, { sandbox: { pushLossRate: 0.35, faults: { seed: 11 } } });
    const { sandbox } = h;
    const random = createRandom(kind === 'postgres' ? 1234 : 99);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    for (let i = 0; i < 4; i++) await h.order({ ...CADASTRE_REQUEST, products: pick([['WI99990001'], ['WI99990006'], ['WI99990002', 'WI99990003']]) });
    await h.run();
    const steps = kind === 'postgres' ? 60 : 25;
    for (let step = 0; step < steps; step++) {
      const live = [...sandbox.book.orders.values()].filter((o) => o.status !== 'CANCELLED' && o.status !== 'REFUNDED');
      const assets = sandbox.liveAssets();
      const roll = random();
      if (live.length === 0) break;
      const o = pick(live);
      if (roll < 0.2 && o.status !== 'FINISHED') await sandbox.advance(o.id);
      else if (roll < 0.45) await sandbox.addAsset(o.id, random() < 0.5 ? {} : { lineId: pick(o.orders[0]!.lines).id });
      else if (roll < 0.6 && assets.length > 0) await sandbox.deleteAsset(pick(assets).asset.id);
      else if (roll < 0.7 && assets.length > 0) await sandbox.replaceAsset(pick(assets).asset.id);
      else if (roll < 0.74) await sandbox.cancel(o.id);
      else if (roll < 0.78 && o.status === 'FINISHED') await sandbox.refund(o.id);
      else if (roll < 0.84) sandbox.truncateNextDownloads(1);
      else if (roll < 0.88) sandbox.expireTokens();
      else if (roll < 0.92) sandbox.faults.set({ errorRate: 0.2 });
      else sandbox.faults.set({ errorRate: 0 });
      const results = await h.settle();
      // Pushed runs may fail an item (faults), never lose one; the sweep below must converge regardless.
      for (const r of results) expect(['succeeded', 'attention']).toContain(r.outcome);
      if (step % 15 === 14) {
        sandbox.faults.set({ errorRate: 0 });
        expect((await h.run({ full: true })).outcome).toBe('succeeded');
        await expectMirrorEqualsSandbox(h);
      }
    }
    sandbox.faults.set({ errorRate: 0 });
    expect(sandbox.pushes().some((p) => p.lost)).toBe(true);
    const sweep = await h.run({ full: true });
    expect(sweep.outcome).toBe('succeeded');
    await expectMirrorEqualsSandbox(h);
    // Exactly one order per request, ever.
    const refs = [...sandbox.book.orders.values()].map((o) => o.technicalReference);
    expect(new Set(refs).size).toBe(refs.length);
  });
});
