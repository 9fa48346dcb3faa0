import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimForOrdering, enqueueOrderRequest, orderCapToday } from '../../src/orders/index.js';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '../helpers/database.js';

/**
 * The cap a person is shown (`orderCapToday`: plans and `status`) and the cap the claim enforces are one query,
 * so they must agree where it matters: exactly at the cap, and at midnight in a zone east of UTC, where the order
 * day changes while the UTC date does not. Each test orders from its own upstream name: the queue takes any.
 */
describe.each(testDatabaseKinds)('the daily cap on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => t?.drop());

  const queue = async (upstream: string, n: number) => {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push((await enqueueOrderRequest(t.db.kysely, { upstream, request: { i } })).request.id);
    return ids;
  };
  const claim = (upstream: string, requestId: number, dailyCap: number, timeZone: string, now?: Date) =>
    claimForOrdering(t.db.kysely, { requestId, upstream, pipeline: 'p', target: `t-${requestId}`, dailyCap, timeZone, ...(now ? { now } : {}) });

  it('shows the cap reached exactly when the claim refuses, with the same count', async () => {
    const upstream = 'cap-edge';
    const tz = 'Europe/Amsterdam';
    const ids = await queue(upstream, 4);
    for (const [i, id] of ids.slice(0, 3).entries()) {
      expect(await orderCapToday(t.db.kysely, { upstream, dailyCap: 3, timeZone: tz })).toMatchObject({ placed: i, left: 3 - i });
      expect(await claim(upstream, id, 3, tz)).toEqual({ ok: true, placedToday: i + 1 });
    }
    const shown = await orderCapToday(t.db.kysely, { upstream, dailyCap: 3, timeZone: tz });
    expect(shown).toMatchObject({ placed: 3, left: 0, blockedReason: null });
    const refused = await claim(upstream, ids[3]!, 3, tz);
    expect(refused).toMatchObject({ ok: false, reason: 'cap-reached' });
    expect(!refused.ok && refused.detail).toContain(`3 of 3 ordered on ${shown.day}`);
    // One more allowed: both see it at once.
    expect(await orderCapToday(t.db.kysely, { upstream, dailyCap: 4, timeZone: tz })).toMatchObject({ placed: 3, left: 1 });
    expect(await claim(upstream, ids[3]!, 4, tz)).toEqual({ ok: true, placedToday: 4 });
  });

  it('starts a new order day at midnight in a zone east of UTC, for the claim and the report alike', async () => {
    const upstream = 'tokyo-edge';
    const tz = 'Asia/Tokyo'; // UTC+9, no daylight saving: midnight there is 15:00 UTC of the day before
    const lastSecond = new Date('2026-03-10T14:59:59Z'); // 23:59:59 on 10 March in Tokyo
    const midnight = new Date('2026-03-10T15:00:00Z'); // 00:00 on 11 March in Tokyo, still 10 March in UTC
    const [a, b, c] = await queue(upstream, 3);
    expect(await claim(upstream, a!, 1, tz, lastSecond)).toEqual({ ok: true, placedToday: 1 });
    expect(await orderCapToday(t.db.kysely, { upstream, dailyCap: 1, timeZone: tz, now: lastSecond })).toMatchObject({ day: '2026-03-10', placed: 1, left: 0 });
    const refused = await claim(upstream, b!, 1, tz, lastSecond);
    expect(refused).toMatchObject({ ok: false, reason: 'cap-reached' });
    // The reason names the reset the report counts to: Tokyo's midnight.
    expect(!refused.ok && refused.hold?.next).toContain('2026-03-10T15:00:00.000Z (midnight Asia/Tokyo)');

    expect(await orderCapToday(t.db.kysely, { upstream, dailyCap: 1, timeZone: tz, now: midnight })).toMatchObject({ day: '2026-03-11', placed: 0, left: 1 });
    expect(await claim(upstream, b!, 1, tz, midnight)).toEqual({ ok: true, placedToday: 1 });
    expect(await orderCapToday(t.db.kysely, { upstream, dailyCap: 1, timeZone: tz, now: midnight })).toMatchObject({ day: '2026-03-11', placed: 1, left: 0 });
    expect(await claim(upstream, c!, 1, tz, midnight)).toMatchObject({ ok: false, reason: 'cap-reached' });
  });
});
