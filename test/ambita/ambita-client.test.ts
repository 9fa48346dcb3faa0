import { mkdtemp, readFile, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotConnectedError, PermanentError, RetryableError } from '../../src/core/errors.js';
import { OrderOutcomeUnknownError } from '../../src/upstreams/ambita/errors.js';
import { type AmbitaSandbox, startAmbitaSandbox } from '../../sandbox/ambita/server.js';
import { parseAmbitaDate } from '../../src/upstreams/ambita/wire.js';
import { createLogger, listenToRunLines } from '../../src/core/logger.js';
import { startRunSignal } from '../../src/core/run-signal.js';
import type { ReceivedRequest } from '../../sandbox/kit.js';
import { LogSink } from '../helpers/logs.js';
import { onRequest } from '../helpers/on-request.js';
import { makeClient } from './fixtures.js';

let sandbox: AmbitaSandbox;
let dir: string;
let clock = Date.parse('2024-03-01T10:00:00Z');
const now = () => clock;

beforeEach(async () => {
  clock = Date.parse('2024-03-01T10:00:00Z');
  sandbox = await startAmbitaSandbox({ now });
  dir = await mkdtemp(join(tmpdir(), 'ambita-client-'));
});
afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

const cadastreOrder = (ref: string) => ({
  orderData: { address: 'Infoveien 1, 9999 Infoland', cadastre: '9999-1-1-0-0' },
  products: [{ code: 'WI99990006' }],
  technicalReference: ref,
});

describe('AmbitaClient token', () => {
  it('reuses one token, renews it before expiry on the clock, and once after a 401', async () => {
    const { client, calls } = makeClient(sandbox, { token_renew_margin_s: 120 }, now);
    await client.products('9999');
    await client.products('9999');
    expect(sandbox.tokensIssued()).toBe(1);
    clock += 3600_000 - 119_000; // inside the renewal margin, not yet expired
    await client.products('9999');
    expect(sandbox.tokensIssued()).toBe(2);
    sandbox.expireTokens();
    await client.products('9999');
    expect(sandbox.tokensIssued()).toBe(3);
    expect(calls.filter((c) => c.errorKind === 'NotConnectedError')).toHaveLength(1);
  });

  it('shares one renewal among concurrent calls that all got a 401', async () => {
    const { client } = makeClient(sandbox, {}, now);
    await client.products('9999');
    sandbox.revokeTokens();
    await Promise.all(Array.from({ length: 6 }, () => client.products('9999')));
    expect(sandbox.tokensIssued()).toBe(2);
  });

  it("fetches the token shared by runs on no run's account: its retries stay out of every run's journal", async () => {
    const sink = new LogSink();
    const root = createLogger({ level: 'info', destination: sink });
    const { client } = makeClient(sandbox, {}, now, root.child({ upstream: 'ambita' }));
    // The first token request and the first products request each fail once with a 5xx, then get through.
    const seen = new Set<string>();
    onRequest(sandbox.requests as ReceivedRequest[], (r) => {
      sandbox.faults.set({ errorRate: seen.has(r.path) ? 0 : 1 });
      seen.add(r.path);
    });
    const journals = new Map<number, string[]>([[1, []], [2, []]]);
    const unlisten = [...journals].map(([runId, ops]) => listenToRunLines(root, runId, (line) => ops.push(String(line.op))));
    const shutdown = new AbortController();
    const runs = [startRunSignal(shutdown.signal, 1), startRunSignal(shutdown.signal, 2)];
    // Two runs need a token at once: run 1's call starts the one fetch, run 2's waits for it.
    await Promise.all(runs.map((run) => client.products('9999', run.signal)));
    for (const run of runs) run.end();
    for (const stop of unlisten) stop();

    expect(sandbox.tokensIssued()).toBe(1);
    const retries = sink.records.filter((r) => r.msg === 'upstream call failed, retrying');
    expect(retries.map((r) => [r.op, r.runId]).sort()).toEqual([['products', expect.any(Number)], ['token', undefined]]);
    // The run whose products call failed has that retry in its journal; neither has the token's.
    expect([...journals.values()].flat()).toEqual(['products']);
  });

  it('refuses wrong credentials permanently, naming the keys', async () => {
    const { client } = makeClient(sandbox, { password: 'wrong-password' }, now);
    await expect(client.products('9999')).rejects.toThrow(/check upstreams\.ambita/);
    await expect(client.products('9999')).rejects.toBeInstanceOf(PermanentError);
  });

  it('gives up with NotConnectedError when even a fresh token is refused', async () => {
    const { client } = makeClient(sandbox, {}, now);
    sandbox.setTokenLifetime(0); // every token is born expired
    await expect(client.products('9999')).rejects.toBeInstanceOf(NotConnectedError);
  });

  it('accepts a form-encoded token request too (sandbox)', async () => {
    const res = await fetch(sandbox.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', ...(sandbox.credentials as Record<string, string>) }),
    });
    const body = (await res.json()) as { access_token: string; refresh_token: string; expires_in: number };
    expect(res.status).toBe(200);
    expect(body.expires_in).toBe(3600);
    const refreshed = await fetch(sandbox.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: body.refresh_token }),
    });
    expect(refreshed.status).toBe(200);
    // Refresh tokens rotate: the spent one is refused.
    const again = await fetch(sandbox.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: body.refresh_token }),
    });
    expect(again.status).toBe(400);
  });
});

describe('AmbitaClient orders', () => {
  it('lists products with input types, and refuses a malformed municipality', async () => {
    const { client } = makeClient(sandbox, {}, now);
    const products = await client.products('9999');
    expect(products.map((p) => p.inputType?.code)).toContain('MAP');
    expect(products.find((p) => p.type?.code === 'PACKAGE')?.children).toHaveLength(3);
    await expect(client.products('99')).rejects.toBeInstanceOf(PermanentError);
    expect(await client.products('1234')).toEqual([]);
  });

  it('creates an order and reads it back in both dialects', async () => {
    const { client } = makeClient(sandbox, {}, now);
    const a = await client.createOrder('cadastre', cadastreOrder('req-1'));
    const b = await client.createOrder('cadastre', cadastreOrder('req-2'));
    expect(a.status).toBe('NEW');
    expect(a.orders[0]!.technicalReference).toBe('req-1');
    const lines = a.orders[0]!.orderLines;
    expect(lines.filter((l) => l.packageLineId === lines[0]!.id)).toHaveLength(3);
    for (const id of [a.id, b.id]) {
      await sandbox.finish(id);
      const order = await client.getOrder(id);
      expect(order.status).toBe('FINISHED');
      expect(order.orders[0]!.orderLines[0]!.status?.code).toBe('FINISHED');
      expect(parseAmbitaDate(order.dateStatus)).toBe('2024-03-01T10:00:00.000Z');
      expect(order.orders[0]!.orderLines.flatMap((l) => l.assets)).toHaveLength(3);
    }
    await expect(client.getOrder(42)).rejects.toBeInstanceOf(PermanentError);
  });

  it('rejects an order the API refuses, and never retries one that may have been placed', async () => {
    const { client } = makeClient(sandbox, {}, now);
    await expect(client.createOrder('share', cadastreOrder('bad'))).rejects.toThrow(/400/);
    sandbox.loseNextOrderAnswers(1);
    await expect(client.createOrder('cadastre', cadastreOrder('lost'))).rejects.toBeInstanceOf(OrderOutcomeUnknownError);
    sandbox.faults.set({ errorRate: 1 });
    await expect(client.createOrder('cadastre', cadastreOrder('5xx'))).rejects.toBeInstanceOf(OrderOutcomeUnknownError);
    sandbox.faults.set({ errorRate: 0 });
    expect(sandbox.requestCount('/kode/v1/orders/cadastre')).toBe(2); // one attempt each
    expect([...sandbox.book.orders.values()].map((o) => o.technicalReference)).toEqual(['lost']);
  });

  it('retries an order whose connection was refused: it never reached Ambita', async () => {
    const { client, calls } = makeClient(sandbox, { base_url: 'http://127.0.0.1:1' }, now);
    const err = await client.createOrder('cadastre', cadastreOrder('refused')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err).not.toBeInstanceOf(OrderOutcomeUnknownError);
    expect((err as Error).message).toMatch(/^ambita createOrder failed: ECONNREFUSED/);
    expect(calls.filter((c) => c.op === 'createOrder')).toHaveLength(6);
  });

  it('retries reads through 5xx and 429', async () => {
    const { client } = makeClient(sandbox, {}, now);
    const order = await sandbox.placeOrder({ productCodes: ['WI99990001'] });
    sandbox.faults.set({ errorRate: 0.4, rateLimitRate: 0.2, retryAfterSeconds: 0, seed: 7 });
    for (let i = 0; i < 10; i++) expect((await client.getOrder(order.id)).id).toBe(order.id);
  });
});

describe('AmbitaClient download', () => {
  it('streams an asset to disk, and retries a truncated one', async () => {
    const { client } = makeClient(sandbox, {}, now);
    const order = await sandbox.placeOrder({ productCodes: ['WI99990001'] });
    const asset = await sandbox.addAsset(order.id, { content: Buffer.alloc(100_000, 7) });
    sandbox.truncateNextDownloads(2);
    const path = join(dir, 'a.pdf');
    const stored = await client.download({ id: asset.id, downloadUrl: `${sandbox.url}/shopping/v2/assets/${asset.id}` }, path);
    expect(stored.size).toBe(100_000);
    expect(await readFile(path)).toEqual(asset.content);
    expect(sandbox.requestCount('/shopping/v2/assets/')).toBe(3);
    expect(await readdir(dir)).toEqual(['a.pdf']); // no partial files left behind
  });

  it('detects a corrupted body when the server sends a digest', async () => {
    await sandbox.close();
    sandbox = await startAmbitaSandbox({ now, sendDigest: true });
    const { client } = makeClient(sandbox, {}, now);
    const order = await sandbox.placeOrder({ productCodes: ['WI99990001'] });
    const asset = await sandbox.addAsset(order.id);
    sandbox.corruptNextDownloads(1);
    const stored = await client.download({ id: asset.id, downloadUrl: `${sandbox.url}/shopping/v2/assets/${asset.id}` }, join(dir, 'b.pdf'));
    expect(await readFile(stored.path)).toEqual(asset.content);
    expect(sandbox.requestCount('/shopping/v2/assets/')).toBe(2);
  });

  it('never sends the token to a foreign downloadUrl, and 404s a deleted asset', async () => {
    const { client } = makeClient(sandbox, {}, now);
    await expect(client.download({ id: 'x', downloadUrl: 'https://evil.example/steal' }, join(dir, 'x'))).rejects.toThrow(/refusing to send the token/);
    const order = await sandbox.placeOrder({ productCodes: ['WI99990001'] });
    const asset = await sandbox.addAsset(order.id);
    await sandbox.deleteAsset(asset.id);
    await expect(client.download({ id: asset.id, downloadUrl: `/shopping/v2/assets/${asset.id}` }, join(dir, 'y'))).rejects.toBeInstanceOf(PermanentError);
  });
});
