import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUSH_MAX_BODY_BYTES } from '../../src/pipelines/ambita-mirror/webhook.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { HOOK_TOKEN } from './fixtures.js';
import { CADASTRE_REQUEST, type MirrorHarness, startMirrorHarness } from './harness.js';

describe.each(testDatabaseKinds)('ambita push callback on %s', (kind) => {
  let h: MirrorHarness;
  let orderId: number;
  beforeAll(async () => {
    h = await startMirrorHarness(kind);
    await h.order(CADASTRE_REQUEST);
    await h.run();
    orderId = [...h.sandbox.book.orders.keys()][0]!;
    await h.settle();
  });
  afterAll(async () => h?.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${h.hookUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const pushRows = async () => Number((await h.t.db.kysely.selectFrom('ambita_pushes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const triggered = async () => (await h.settle()).length;

  it('refuses a missing or wrong token, in the path or a header, and changes nothing', async () => {
    const before = await pushRows();
    const body = { orderCollectionId: orderId, status: 'UPDATED' };
    const answers = [
      await post('', body),
      await post('/wrong-token-0123456789abcdef', body),
      await post(`/${HOOK_TOKEN}x`, body),
      await post('', body, { 'x-koppel-token': 'nope' }),
      await post('', body, { authorization: `Bearer ${HOOK_TOKEN.slice(0, -1)}` }),
    ];
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(await pushRows()).toBe(before);
    expect(await triggered()).toBe(0);
  });

  it('refuses an oversized body before the handler, and changes nothing', async () => {
    const before = await pushRows();
    const big = JSON.stringify({ orderCollectionId: orderId, status: 'UPDATED', pad: 'x'.repeat(PUSH_MAX_BODY_BYTES) });
    const res = await post(`/${HOOK_TOKEN}`, big);
    expect(res.status).toBe(413);
    expect(await pushRows()).toBe(before);
    expect(await triggered()).toBe(0);
  });

  it('ignores distributor messages, unknown orders and garbage safely', async () => {
    const before = await pushRows();
    expect((await post(`/${HOOK_TOKEN}`, { eventType: 'DISTRIBUTOR_UPDATE', orderCollectionId: orderId })).status).toBe(200);
    expect(await (await post(`/${HOOK_TOKEN}`, { orderCollectionId: 999_999_999, status: 'FINISHED' })).json()).toEqual({ ignored: 'unknown order' });
    expect((await post(`/${HOOK_TOKEN}`, 'not json')).status).toBe(400);
    expect((await post(`/${HOOK_TOKEN}`, { status: 'FINISHED' })).status).toBe(400);
    expect(await pushRows()).toBe(before);
    expect(await triggered()).toBe(0);
  });

  it('accepts the token in a header and the older orderId field, and reconciles that order at once', async () => {
    await h.sandbox.finish(orderId); // this push is sent by the sandbox to the path-token URL
    expect(h.sandbox.pushes().at(-1)).toMatchObject({ status: 202 });
    expect(await triggered()).toBe(1);
    const asset = await h.sandbox.book.addAsset(orderId, {}).asset;
    const res = await post('', { orderId, status: 'UPDATED' }, { 'x-koppel-token': HOOK_TOKEN });
    expect(res.status).toBe(202);
    expect(await triggered()).toBe(1);
    const row = await h.t.db.kysely.selectFrom('ambita_assets').selectAll().where('asset_id', '=', asset.id).executeTakeFirst();
    expect(row?.state).toBe('stored');
    const pending = await h.t.db.kysely.selectFrom('ambita_pushes').selectAll().where('handled_at', 'is', null).execute();
    expect(pending).toEqual([]);
  });
});
