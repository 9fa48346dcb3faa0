import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimForOrdering,
  enqueueOrderRequest,
  markNeedsAttention,
  pendingOrderRequests,
  reconcileInterruptedOrders,
  recordOrderPlaced,
  recordOrderRefused,
  requeueOrderRequest,
  resolveInterruptedOrder,
} from '../../src/orders/index.js';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '../helpers/database.js';

const TZ = 'Europe/Amsterdam';

describe.each(testDatabaseKinds)('order requests on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => t?.drop());

  const claim = (requestId: number, dailyCap = 10, upstream: 'planviewer' | 'ambita' = 'planviewer') =>
    claimForOrdering(t.db.kysely, { requestId, upstream, pipeline: 'pv', target: `t-${requestId}`, dailyCap, timeZone: TZ });

  it('records the intent before the call and the order id after, once', async () => {
    const { request } = await enqueueOrderRequest(t.db.kysely, { upstream: 'planviewer', request: { address: 'a' } });
    expect(request.status).toBe('pending');
    expect(await claim(request.id)).toEqual({ ok: true, placedToday: 1 });
    const mid = await t.db.kysely.selectFrom('order_requests').selectAll().where('id', '=', request.id).executeTakeFirstOrThrow();
    expect(mid.status).toBe('ordering');
    expect(mid.intent_recorded_at).not.toBeNull();
    // A second claim cannot happen: the request is no longer pending, and the placement row forbids it anyway.
    expect(await claim(request.id)).toMatchObject({ ok: false, reason: 'not-pending' });
    await recordOrderPlaced(t.db.kysely, request.id, 'job-1');
    const after = await t.db.kysely.selectFrom('order_requests').selectAll().where('id', '=', request.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'ordered', upstream_order_id: 'job-1' });
    await expect(
      t.db.kysely.insertInto('order_placements').values({ request_id: request.id, upstream: 'planviewer', target: 'x', order_day: '2024-01-01' }).execute(),
    ).rejects.toThrow();
  });

  it('turns an interrupted order into needs-attention and never re-orders it by itself', async () => {
    const { request } = await enqueueOrderRequest(t.db.kysely, { upstream: 'planviewer', request: { address: 'b' } });
    await claim(request.id);
    // (crash here: the upstream may or may not have placed the order)
    const found = await reconcileInterruptedOrders(t.db.kysely, { upstream: 'planviewer', pipeline: 'pv' });
    expect(found.map((r) => r.id)).toEqual([request.id]);
    expect(found[0]!.status).toBe('needs-attention');
    expect(found[0]!.reason).toMatch(/may or may not have placed the order/);
    expect((await pendingOrderRequests(t.db.kysely, { upstream: 'planviewer', pipeline: 'pv' })).map((r) => r.id)).not.toContain(request.id);
    await expect(requeueOrderRequest(t.db.kysely, request.id)).rejects.toThrow(/use resolve/);
    await resolveInterruptedOrder(t.db.kysely, request.id, { notOrdered: true });
    expect(await claim(request.id)).toMatchObject({ ok: true });
  });

  it('counts the daily cap in the database and serialises concurrent claims', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 8; i++) ids.push((await enqueueOrderRequest(t.db.kysely, { upstream: 'ambita', request: { i } })).request.id);
    const results = await Promise.all(ids.map((id) => claim(id, 5, 'ambita')));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results.filter((r) => !r.ok && r.reason === 'cap-reached')).toHaveLength(3);
  });

  it('releases a definitely refused order and can block the rest of the day', async () => {
    const a = (await enqueueOrderRequest(t.db.kysely, { upstream: 'planviewer', request: { c: 1 } })).request;
    const b = (await enqueueOrderRequest(t.db.kysely, { upstream: 'planviewer', request: { c: 2 } })).request;
    await claim(a.id, 100);
    await recordOrderRefused(t.db.kysely, a.id, {
      status: 'pending',
      reason: { code: 'vendor-daily-cap', message: 'vendor cap', next: 'none' },
      blockDay: { upstream: 'planviewer', timeZone: TZ, reason: 'vendor daily cap reached' },
    });
    expect(await claim(b.id, 100)).toMatchObject({ ok: false, reason: 'blocked', detail: 'vendor daily cap reached' });
    const row = await t.db.kysely.selectFrom('order_placements').selectAll().where('request_id', '=', a.id).executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('keeps the placement when the outcome is unknown', async () => {
    const { request } = await enqueueOrderRequest(t.db.kysely, { upstream: 'ambita', request: { d: 1 } });
    await t.db.kysely.deleteFrom('order_days').execute();
    await claim(request.id, 100, 'ambita');
    await markNeedsAttention(t.db.kysely, request.id, { code: 'outcome-unknown', message: 'timeout', next: 'check the account' });
    await expect(requeueOrderRequest(t.db.kysely, request.id)).rejects.toThrow();
    await resolveInterruptedOrder(t.db.kysely, request.id, { ordered: 'order-9' });
    const row = await t.db.kysely.selectFrom('order_requests').selectAll().where('id', '=', request.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'ordered', upstream_order_id: 'order-9' });
  });

  it('returns the first request for a repeated idempotency key', async () => {
    const first = await enqueueOrderRequest(t.db.kysely, { upstream: 'planviewer', request: { e: 1 }, idempotencyKey: 'k1' });
    const again = await enqueueOrderRequest(t.db.kysely, { upstream: 'planviewer', request: { e: 1 }, idempotencyKey: 'k1' });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, request: { id: first.request.id } });
  });
});
