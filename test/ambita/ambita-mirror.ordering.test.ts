import { afterEach, describe, expect, it } from 'vitest';
import { claimForOrdering, resolveInterruptedOrder } from '../../src/orders/index.js';
import type { ReceivedRequest } from '../../sandbox/kit.js';
import { onRequest } from '../helpers/on-request.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { CADASTRE_REQUEST, listFiles, type MirrorHarness, PIPELINE, startMirrorHarness } from './harness.js';

let h: MirrorHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const request = async (id: number) => h!.t.db.kysely.selectFrom('order_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const ordersWithRef = (ref: string) => [...h!.sandbox.book.orders.values()].filter((o) => o.technicalReference === ref);

describe.each(testDatabaseKinds)('ambita ordering on %s', (kind) => {
  it('a lost order answer parks the request for a human and is never ordered again', async () => {
    h = await startMirrorHarness(kind);
    const id = await h.order(CADASTRE_REQUEST);
    h.sandbox.loseNextOrderAnswers(1);
    const first = await h.run();
    expect(first.outcome).toBe('attention');
    expect(await request(id)).toMatchObject({ status: 'needs-attention' });
    expect((await request(id)).reason).toContain(`technicalReference "${id}"`);
    for (let i = 0; i < 3; i++) await h.run();
    expect(ordersWithRef(String(id))).toHaveLength(1);
    expect(h.sandbox.requestCount('/kode/v1/orders/cadastre')).toBe(1);
    // The human finds the order in Ambita's account and says so: koppel follows it from then on.
    await resolveInterruptedOrder(h.t.db.kysely, id, { ordered: String(ordersWithRef(String(id))[0]!.id) });
    await h.sandbox.finish(ordersWithRef(String(id))[0]!.id);
    await h.run();
    expect(await listFiles(h.root)).toHaveLength(2);
  });

  it('a crash between recording the intent and the answer needs attention, without any order call', async () => {
    h = await startMirrorHarness(kind);
    const id = await h.order(CADASTRE_REQUEST);
    // The state a kill -9 right after the claim leaves behind.
    await claimForOrdering(h.t.db.kysely, { requestId: id, upstream: 'ambita', pipeline: PIPELINE, target: 'x', dailyCap: 5, timeZone: 'Europe/Oslo' });
    await h.run();
    expect(await request(id)).toMatchObject({ status: 'needs-attention' });
    expect(h.sandbox.requestCount('/kode/v1/orders/cadastre')).toBe(0);
  });

  it('an order in flight when the shutdown grace period ends is let finish and recorded; no next one starts', async () => {
    h = await startMirrorHarness(kind);
    const id = await h.order(CADASTRE_REQUEST);
    const next = await h.order(CADASTRE_REQUEST);
    // The order call reaches Ambita, which answers after 300 ms; the shutdown's 10 ms grace period ends first.
    let shutdown: Promise<void> | undefined;
    onRequest(h.sandbox.requests as ReceivedRequest[], (r) => {
      if (r.method !== 'POST' || !r.path.startsWith('/kode/v1/orders/')) return;
      h!.sandbox.faults.set({ latencyMs: 300 });
      shutdown = h!.runner.shutdown(10);
    });
    const run = await h.run();
    await shutdown;
    expect(run.outcome).toBe('stopped');
    expect(await request(id)).toMatchObject({ status: 'ordered', upstream_order_id: String(ordersWithRef(String(id))[0]?.id) });
    expect(ordersWithRef(String(id))).toHaveLength(1);
    expect(await request(next)).toMatchObject({ status: 'pending' });
    expect(h.sandbox.requestCount('/kode/v1/orders/cadastre')).toBe(1);
  });

  it('refused and invalid requests fail without spending; the cap stops ordering', async () => {
    h = await startMirrorHarness(kind, { pipeline: { daily_order_cap: 2 } });
    const bad = await h.order({ products: ['WI99990001'], orderData: { address: 'nowhere', cadastre: '1' } });
    const refused = await h.order({ ...CADASTRE_REQUEST, products: ['WI99999999'] });
    const wrongKind = await h.order({ ...CADASTRE_REQUEST, products: ['WI99990004'] }); // a SHARE product
    const ok = [await h.order(CADASTRE_REQUEST), await h.order(CADASTRE_REQUEST), await h.order(CADASTRE_REQUEST)];
    const run = await h.run();
    expect(run.outcome).toBe('rejected');
    expect(await request(bad)).toMatchObject({ status: 'failed' });
    expect(await request(refused)).toMatchObject({ status: 'failed' });
    expect(await request(wrongKind)).toMatchObject({ status: 'failed' });
    expect((await request(wrongKind)).reason).toMatch(/takes SHARE/);
    // The refused one took a cap slot only while in flight; two orders placed, the third waits for tomorrow.
    expect((await Promise.all(ok.map(request))).map((r) => r.status)).toEqual(['ordered', 'ordered', 'capped']);
    expect(await request(ok[2]!)).toMatchObject({
      reason_code: 'daily-cap',
      reason: expect.stringContaining(`(daily_order_cap of pipeline "ambita" = 2) is reached: 2 of 2`),
      next_action: expect.stringMatching(/resets at .* \(midnight Europe\/Oslo\)/),
    });
    expect(h.sandbox.book.orders.size).toBe(2);
  });

  it('--dry-run shows what would be ordered, downloaded and deleted, and changes nothing', async () => {
    h = await startMirrorHarness(kind);
    await h.order(CADASTRE_REQUEST);
    await h.run();
    const order = [...h.sandbox.book.orders.values()][0]!;
    await h.sandbox.finish(order.id);
    await h.settle();
    const doomed = order.orders[0]!.lines[0]!.assets[0]!;
    h.sandbox.book.deleteAsset(doomed.id);
    h.sandbox.book.addAsset(order.id, {});
    await h.order(CADASTRE_REQUEST);
    const filesBefore = await listFiles(h.root);
    const rowsBefore = await h.t.db.kysely.selectFrom('ambita_assets').selectAll().orderBy('asset_id').execute();
    const ordersBefore = h.sandbox.book.orders.size;
    const dry = await h.run({ dryRun: true, full: true });
    expect(dry.outcome).toBe('dry-run');
    expect(dry.plan!.summary).toMatchObject({ downloads: 1, deletions: 1, orders_to_place: 1 });
    expect(dry.plan!.actions.map((a) => a.action).sort()).toEqual(['delete-file', 'download', 'order']);
    expect(dry.plan!.actions.find((a) => a.action === 'delete-file')!.key).toBe(doomed.id);
    expect(await listFiles(h.root)).toEqual(filesBefore);
    expect(await h.t.db.kysely.selectFrom('ambita_assets').selectAll().orderBy('asset_id').execute()).toEqual(rowsBefore);
    expect(h.sandbox.book.orders.size).toBe(ordersBefore);
  });

  it('a truncated download leaves no partial file and is fetched whole on retry or next run', async () => {
    h = await startMirrorHarness(kind, { ambita: { retry: { max_attempts: 2, base_delay_ms: 1, max_delay_ms: 2 } } });
    await h.order(CADASTRE_REQUEST);
    await h.run();
    const order = [...h.sandbox.book.orders.values()][0]!;
    h.sandbox.truncateNextDownloads(4); // both attempts of both files
    await h.sandbox.finish(order.id);
    const [broken] = await h.settle();
    expect(broken!.outcome).toBe('attention');
    expect(broken!.counts.failed).toBe(2);
    expect(await listFiles(h.root)).toEqual([]);
    expect((await h.run({ full: true })).outcome).toBe('succeeded');
    expect(await listFiles(h.root)).toHaveLength(2);
  });

  it('catalog: mirrors the products of the configured municipalities, and a re-run writes nothing', async () => {
    h = await startMirrorHarness(kind, { pipeline: { municipalities: ['9999', '5401'] } });
    const first = await h.run();
    expect(first.plan!.summary).toMatchObject({ catalog_changes: 12 });
    const rows = await h.t.db.kysely.selectFrom('ambita_products').selectAll().where('municipality', '=', '9999').orderBy('code').execute();
    expect(rows.map((r) => r.input_type)).toEqual(['CADASTRE', 'CADASTRE', 'CADASTRE', 'SHARE', 'MAP', 'CADASTRE']);
    expect(rows[5]!.children).toHaveLength(3);
    expect((await h.run({ full: true })).plan!.summary).toMatchObject({ catalog_changes: 0 });
  });
});
