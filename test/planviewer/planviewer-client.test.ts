import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BackOffError, PermanentError, RetryableError } from '../../src/core/errors.js';
import { KoppelEvents } from '../../src/core/events.js';
import { UpstreamGateway } from '../../src/core/upstream-gateway.js';
import { errorMessage } from '../../src/upstreams/planviewer/api.js';
import { PlanviewerClient } from '../../src/upstreams/planviewer/client.js';
import { planviewerConfigSchema } from '../../src/upstreams/planviewer/config.js';
import { dispositionFilename } from '../../src/upstreams/planviewer/content-disposition.js';
import {
  orderOutcomeError,
  UNEXPECTED_ANSWER,
  PlanviewerDailyCapError,
  PlanviewerOrderOutcomeUnknownError,
  PlanviewerPaymentRequiredError,
} from '../../src/upstreams/planviewer/errors.js';
import { PLANVIEWER_OTHER_CREDENTIALS, type PlanviewerSandbox, startPlanviewerSandbox } from '../../sandbox/planviewer/server.js';

function clientFor(sandbox: PlanviewerSandbox, credentials: { access_key: string; secret: string } = sandbox.credentials as never) {
  const cfg = planviewerConfigSchema.parse({
    base_url: sandbox.url,
    access_key: credentials.access_key,
    secret: credentials.secret,
    retry: { base_delay_ms: 1, max_delay_ms: 2 },
  });
  return new PlanviewerClient(cfg, new UpstreamGateway('planviewer', cfg.rate, cfg.retry, new KoppelEvents()), pino({ level: 'silent' }));
}

const orderCalls = (s: PlanviewerSandbox) => s.requests.filter((r) => r.path.endsWith('/jobs/order')).length;

describe('planviewer client against the sandbox', () => {
  let sandbox: PlanviewerSandbox;
  let client: PlanviewerClient;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pv-client-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));
  afterEach(async () => sandbox?.close());

  const start = async (options: Parameters<typeof startPlanviewerSandbox>[0] = {}) => {
    sandbox = await startPlanviewerSandbox(options);
    client = clientFor(sandbox);
  };

  const intentionFor = async (postcode: string, number: string, product = 'vraagprijsrapport') => {
    const [loc] = await client.search('adres', { bool: { must: [{ field: { fields: ['postcode'], query: postcode } }, { field: { fields: ['huisnummer'], query: number } }] } });
    const [intention] = await client.intentions(loc!.uuid, product);
    return intention!.uuid;
  };

  it('refuses a wrong secret with the 401 body mapped to a clear permanent error', async () => {
    await start();
    const bad = clientFor(sandbox, { access_key: 'pv-demo-access-key', secret: 'wrong' });
    const err = await bad.products().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: 401, message: expect.stringMatching(/refused \(401\): Unauthorized/) });
  });

  it('lists products, finds an address, lists intentions, orders and follows the job to the file', async () => {
    await start({ steps: 3 });
    expect((await client.products()).map((p) => p.slug)).toContain('bestemmingsplanrapport');
    const intention = await intentionFor('6512EX', '2');
    const job = await client.order(intention);
    const seen = [];
    for (let i = 0; i < 6; i++) {
      const [s] = await client.status([job]);
      seen.push(`${s!.status}:${s!.progress?.current}/${s!.progress?.total}`);
      if (s!.status === 'finished') break;
    }
    expect(seen).toEqual(['in_progress:0/3', 'in_progress:1/3', 'in_progress:2/3', 'finished:3/3']);
    const file = await client.download(job, (name) => join(dir, name ?? 'x'));
    expect(file.vendorFilename).toMatch(/^\d{8}_vraagprijsrapport_castellastraat_2_6512ex_nijmegen_.*\.pdf$/);
    expect(file.contentType).toBe('application/pdf');
    expect(createHash('sha256').update(await readFile(file.path)).digest('hex')).toBe(await sandbox.expectedSha256(job));
  });

  it('asks for many jobs in one status call', async () => {
    await start();
    const jobs = [await client.order(await intentionFor('6512EX', '2')), await client.order(await intentionFor('6811LW', '61'))];
    const before = sandbox.requests.length;
    const answer = await client.status(jobs);
    expect(answer.map((a) => a.uuid)).toEqual(jobs);
    expect(sandbox.requests.length - before).toBe(1);
  });

  it('maps 404 before finished, 403 for another account, 400 for unknown uuids', async () => {
    await start({ lifecycle: 'manual' });
    const job = await client.order(await intentionFor('6512EX', '2'));
    await expect(client.download(job, () => join(dir, 'never'))).rejects.toMatchObject({ code: 404 });
    sandbox.advance(job, 10);
    const other = clientFor(sandbox, PLANVIEWER_OTHER_CREDENTIALS);
    await expect(other.download(job, () => join(dir, 'never'))).rejects.toMatchObject({ code: 403, message: expect.stringMatching(/another account/) });
    await expect(client.status(['nope'])).rejects.toMatchObject({ code: 400 });
    await expect(client.order('not-an-intention')).rejects.toMatchObject({ code: 400 });
  });

  it('maps the daily cap 429 and 402 to stop errors, never retried', async () => {
    await start({ dailyCap: 1, capGrace: 0 });
    await client.order(await intentionFor('6512EX', '2'));
    const intention = await intentionFor('6811LW', '61');
    const calls = orderCalls(sandbox);
    const capped = await client.order(intention).catch((e: unknown) => e);
    expect(capped).toBeInstanceOf(PlanviewerDailyCapError);
    expect((capped as BackOffError).waitMs).toBe(Infinity);
    expect(orderCalls(sandbox) - calls).toBe(1);
    sandbox.state.dailyCap = 100;
    sandbox.setPaymentOnAccount(false);
    await expect(client.order(intention)).rejects.toBeInstanceOf(PlanviewerPaymentRequiredError);
    expect(orderCalls(sandbox) - calls).toBe(2);
  });

  it('lets a few orders pass the cap after the warning e-mail, then answers the documented 429 body', async () => {
    await start({ dailyCap: 2, capGrace: 1 });
    for (const [pc, nr] of [['6512EX', '2'], ['6811LW', '61'], ['3511ED', '1']]) await client.order(await intentionFor(pc!, nr!));
    expect(sandbox.state.capEmails).toHaveLength(1);
    const res = await fetch(`${sandbox.url}/product_api/v1/jobs/order`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('pv-demo-access-key:pv-demo-secret').toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ uuids: [await intentionFor('5611EB', '12')] }),
    });
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual([{ error: 'true', message: 'You are trying to order more products than your daily limit allows' }]);
  });

  it('never retries an order whose answer was lost or was a 5xx', async () => {
    await start({ wireFaults: { lostOrderResponseRate: 1 } });
    const intention = await intentionFor('6512EX', '2');
    await expect(client.order(intention)).rejects.toBeInstanceOf(PlanviewerOrderOutcomeUnknownError);
    expect(sandbox.ordersPlaced()).toHaveLength(1);
    expect(orderCalls(sandbox)).toBe(1);
    sandbox.wireFaults.lostOrderResponseRate = 0;
    sandbox.faults.set({ errorRate: 1 });
    await expect(client.order(intention)).rejects.toBeInstanceOf(PlanviewerOrderOutcomeUnknownError);
    expect(orderCalls(sandbox)).toBe(2);
  });

  it('retries a plain rate limit (Retry-After) on read calls', async () => {
    await start({ faults: { rateLimitRate: 0.5, retryAfterSeconds: 0, seed: 3 } });
    for (let i = 0; i < 5; i++) expect((await client.products()).length).toBeGreaterThan(0);
    expect(sandbox.requests.some((r) => r.status === 429)).toBe(true);
  });

  it('retries a truncated download until the whole file is in', async () => {
    await start({ lifecycle: 'manual', wireFaults: { truncateRate: 0.6 }, faults: { seed: 11 } });
    const job = await client.order(await intentionFor('6512EX', '2'));
    sandbox.advance(job, 10);
    const file = await client.download(job, (name) => join(dir, `t-${name}`));
    expect(sandbox.state.retrievals.get(job)).toBeGreaterThan(1);
    expect(file.sha256).toBe(await sandbox.expectedSha256(job));
  });

  it('cannot see a corrupted body of the right length (Planviewer sends no checksum), but indexes what it wrote', async () => {
    await start({ lifecycle: 'manual', wireFaults: { corruptRate: 1 } });
    const job = await client.order(await intentionFor('6512EX', '2'));
    sandbox.advance(job, 10);
    const file = await client.download(job, (name) => join(dir, `c-${name}`));
    expect(file.sha256).not.toBe(await sandbox.expectedSha256(job));
    expect(createHash('sha256').update(await readFile(file.path)).digest('hex')).toBe(file.sha256);
  });

  it('goes through waiting for user with kik waiting/select', async () => {
    await start({ lifecycle: 'manual', steps: 4 });
    const [loc] = await client.search('adres', { bool: { must: [{ field: { fields: ['postcode'], query: '9999AA' } }, { field: { fields: ['huisnummer'], query: '8' } }, { field: { fields: ['huisletter'], query: 'a' } }] } });
    const [intention] = await client.intentions(loc!.uuid, 'eigendomsinformatie');
    const job = await client.order(intention!.uuid);
    sandbox.advance(job, 10);
    expect((await client.status([job]))[0]!.status).toBe('waiting for user');
    const waiting = await client.waiting(job);
    expect(Object.keys(waiting.locaties)).toEqual(['1', '2']);
    await expect(client.select(job, 3)).rejects.toMatchObject({ code: 400 });
    await client.select(job, 2);
    sandbox.advance(job, 10);
    expect((await client.status([job]))[0]!.status).toBe('finished');
  });
});

describe('planviewer wire details', () => {
  it('reads both error body shapes', () => {
    expect(errorMessage({ error: { code: 401, message: 'Unauthorized' } })).toBe('Unauthorized');
    expect(errorMessage([{ error: 'true', message: 'daily limit' }])).toBe('daily limit');
    expect(errorMessage('nonsense')).toBeUndefined();
  });

  it('reads Content-Disposition filenames, RFC 5987 first', () => {
    expect(dispositionFilename('attachment; filename="a \\"b\\".pdf"')).toBe('a "b".pdf');
    expect(dispositionFilename("attachment; filename=\"x.pdf\"; filename*=UTF-8''na%C3%AFve%00%0A.pdf")).toBe('naïve\u0000\n.pdf');
    expect(dispositionFilename('attachment; filename=plain.pdf')).toBe('plain.pdf');
    expect(dispositionFilename(null)).toBeUndefined();
  });

  it('sorts order failures into "not placed" and "may be placed"', () => {
    const refused = Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    expect(orderOutcomeError(new RetryableError('reset'))).toBeInstanceOf(PlanviewerOrderOutcomeUnknownError);
    expect(orderOutcomeError(new RetryableError('refused', { cause: refused }))).toBeInstanceOf(RetryableError);
    expect(orderOutcomeError(new BackOffError('503', 1000, { code: 503 }))).toBeInstanceOf(PlanviewerOrderOutcomeUnknownError);
    expect(orderOutcomeError(new BackOffError('429', 1000, { code: 429 }))).not.toBeInstanceOf(PlanviewerOrderOutcomeUnknownError);
    expect(orderOutcomeError(new PermanentError('400', { code: 400 }))).not.toBeInstanceOf(PlanviewerOrderOutcomeUnknownError);
    expect(orderOutcomeError(new PermanentError('odd', { code: UNEXPECTED_ANSWER }))).toBeInstanceOf(PlanviewerOrderOutcomeUnknownError);
  });
});
