import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KoppelEvents } from '../../src/core/events.js';
import { UpstreamGateway } from '../../src/core/upstream-gateway.js';
import { dateRange } from '../../demo/availability-data.js';
import { pushWithBisection } from '../../src/pipelines/maasplassen-availability/push-chunk.js';
import { type AvailabilityEntry, availabilityEntryJson, MaasplassenClient } from '../../src/upstreams/maasplassen/client.js';
import { maasplassenConfigSchema } from '../../src/upstreams/maasplassen/config.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';

describe('pushWithBisection against the sandbox', () => {
  let sandbox: MaasplassenSandbox;
  let client: MaasplassenClient;

  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
    const cfg = maasplassenConfigSchema.parse({ base_url: sandbox.url, apikey: sandbox.credentials.apikey, secret: sandbox.credentials.secret, company_id: 1 });
    const events = new KoppelEvents();
    client = new MaasplassenClient(cfg, new UpstreamGateway('maasplassen', cfg.rate, cfg.retry, events), pino({ level: 'silent' }));
  });
  afterAll(() => sandbox.close());

  // 1,000 boat-dates for boats "91".."99"; the service knows every one of them.
  const entries = (): AvailabilityEntry[] =>
    dateRange('2027-01-01', 112).flatMap((date) => ['91', '92', '93', '94', '95', '96', '97', '98', '99'].map((boat) => ({ boat, date, prizes: [{ desc: 'Hele dag', cents: 9500 }] }))).slice(0, 1000);

  it('isolates 1 bad entry in 1,000 with O(log n) extra requests and lands the other 999', async () => {
    sandbox.reset();
    const batch = entries();
    batch[617] = { boat: '4711', date: batch[617]!.date, prizes: [{ desc: 'Hele dag', cents: 100 }] }; // unknown boat: the service rolls back
    const outcome = await pushWithBisection(batch, (part) => client.updateAvailability(part.map(availabilityEntryJson)));
    expect(outcome.rejected.map((r) => r.item.boat)).toEqual(['4711']);
    expect(outcome.rejected[0]!.reason).toMatch(/4711/);
    expect(outcome.pushed).toHaveLength(999);
    expect(sandbox.availabilityCount(1)).toBe(999);
    // One failed request per level of the halving (ceil(log2 1000) = 10) plus its good sibling, plus the first try.
    expect(outcome.requests).toBe(1 + 2 * Math.ceil(Math.log2(1000)));
    expect(sandbox.requests.filter((r) => r.path.endsWith('/availability/update'))).toHaveLength(outcome.requests);
  });

  it('costs one request when nothing is wrong, and isolates several bad entries', async () => {
    sandbox.reset();
    const clean = await pushWithBisection(entries().slice(0, 200), (part) => client.updateAvailability(part.map(availabilityEntryJson)));
    expect(clean).toMatchObject({ requests: 1, rejected: [] });
    const batch = entries().slice(0, 64);
    batch[3] = { ...batch[3]!, date: '2027-13-01' };
    batch[40] = { ...batch[40]!, prizes: [{ desc: '', cents: 5 }] };
    const outcome = await pushWithBisection(batch, (part) => client.updateAvailability(part.map(availabilityEntryJson)));
    expect(outcome.rejected.map((r) => batch.indexOf(r.item))).toEqual([3, 40]);
    expect(outcome.pushed).toHaveLength(62);
    expect(outcome.requests).toBeLessThanOrEqual(1 + 2 * 2 * Math.log2(64));
  });

  it('does not bisect on credential errors: they fail the chunk at once', async () => {
    const bad = maasplassenConfigSchema.parse({ base_url: sandbox.url, apikey: sandbox.credentials.apikey, secret: 'sk.wrong', company_id: 1 });
    const wrong = new MaasplassenClient(bad, new UpstreamGateway('maasplassen', bad.rate, bad.retry, new KoppelEvents()), pino({ level: 'silent' }));
    sandbox.requests.length = 0;
    await expect(pushWithBisection(entries().slice(0, 100), (part) => wrong.updateAvailability(part.map(availabilityEntryJson)))).rejects.toThrow(/check upstreams.maasplassen/);
    expect(sandbox.requests).toHaveLength(1);
  });
});
