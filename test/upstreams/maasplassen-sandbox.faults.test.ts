import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_COMPANIES, startMaasplassenSandbox, type MaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { get, push } from './maasplassen-sandbox.helpers.js';

describe('Maasplassen sandbox handle and faults', () => {
  let sb: MaasplassenSandbox | undefined;
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });

  it('exposes the base URL with /api/v2 and company 1\'s credentials', async () => {
    sb = await startMaasplassenSandbox();
    expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v2$/);
    expect(sb.credentials).toEqual({ apikey: DEMO_COMPANIES[0]?.apikey, secret: DEMO_COMPANIES[0]?.secret, company_id: 1 });
    expect(DEMO_COMPANIES[0]?.boats.length).toBeGreaterThanOrEqual(10);
  });

  it('answers 429 with Retry-After in the error envelope, and stores nothing', async () => {
    sb = await startMaasplassenSandbox({ faults: { rateLimitRate: 1, retryAfterSeconds: 7 } });
    const res = await push(sb, [{ boat: '91', date: '2024-06-02', prizes: null }]);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.body.error).toMatchObject({ code: 429, type: expect.stringContaining('TooManyRequests') });
    expect(sb.availabilityCount()).toBe(0);
    sb.faults.set({ rateLimitRate: 0 });
    expect((await push(sb, [{ boat: '91', date: '2024-06-02', prizes: null }])).status).toBe(200);
    expect(sb.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('injects transient 500/502 errors at the configured rate, reproducibly with a seed', async () => {
    sb = await startMaasplassenSandbox({ faults: { errorRate: 0.5, seed: 42 } });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await get(sb, '/rentals');
      statuses.push(res.status);
      if (res.status !== 200) expect(res.body.error.code).toBe(res.status);
    }
    const faults = statuses.filter((s) => s !== 200);
    expect(faults.length).toBeGreaterThan(5);
    expect(faults.length).toBeLessThan(35);
    expect(new Set(faults)).toEqual(new Set([500, 502]));

    const again = await startMaasplassenSandbox({ faults: { errorRate: 0.5, seed: 42 } });
    try {
      const replay: number[] = [];
      for (let i = 0; i < 40; i++) replay.push((await get(again, '/rentals')).status);
      expect(replay).toEqual(statuses);
    } finally {
      await again.close();
    }
  });

  it('serves custom companies instead of the demo world', async () => {
    sb = await startMaasplassenSandbox({
      companies: [{ id: 9, naam: 'Solo', apikey: 'pub.solo-1', secret: 'sk.solo', boats: [{ bootid: 1, ext_id: '1', naam: 'Bootje', type: 'sloep', zichtbaar: true }] }],
    });
    expect(sb.credentials).toEqual({ apikey: 'pub.solo-1', secret: 'sk.solo', company_id: 9 });
    const res = await get(sb, '/rentals', '', 'pub.solo1');
    expect(res.body).toEqual({ meta: { status: 200, results: 1, owner: 'solo.api' }, data: [{ id: 9, naam: 'Solo' }] });
    expect((await get(sb, '/rentals', '', DEMO_COMPANIES[0]?.apikey)).status).toBe(401);
  });
});
