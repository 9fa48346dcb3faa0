import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../src/core/errors.js';
import { requestUpstreamBytes, requestUpstreamText } from '../../src/core/http-request.js';

/** One local server per test; `handle` decides each answer, `bodies` records what reached it. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; bodies: string[]; server: Server }> {
  const bodies: string[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    bodies.push(`${req.method} ${req.headers['content-type'] ?? ''} ${body}`);
    handle(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

const call = (url: string, extra: { timeoutMs?: number; signal?: AbortSignal; body?: string; errorTextLimit?: number } = {}) =>
  requestUpstreamText({
    upstream: 'test',
    op: 'call',
    url: `${url}/api`,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    timeoutMs: 5000,
    ...extra,
  });

describe('requestUpstreamText', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((ok) => s.close(ok));
    }
  });
  const start = async (handle: (req: IncomingMessage, res: ServerResponse) => void) => {
    const s = await serve(handle);
    servers.push(s.server);
    return s;
  };

  it('sends the body and headers and answers status, headers and the whole text, a BOM dropped', async () => {
    const { url, bodies } = await start((_req, res) => {
      res.writeHead(422, { 'content-type': 'application/json', 'retry-after': '3' });
      res.end('\uFEFF{"error":{"type":"x"}}');
    });
    const res = await call(url, { body: 'payload=%7B%7D&hmac=ab' });
    expect(bodies).toEqual(['POST application/x-www-form-urlencoded payload=%7B%7D&hmac=ab']);
    expect([res.status, res.ok, res.text, res.headers.get('retry-after')]).toEqual([422, false, '{"error":{"type":"x"}}', '3']);
  });

  it('answers the body as bytes for requestUpstreamBytes, chunks joined and a BOM dropped', async () => {
    const { url } = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x22, 0xe2]));
      setTimeout(() => res.end(Buffer.from([0x82, 0xac, 0x22, 0x7d])), 10); // "€" split over two chunks
    });
    const res = await requestUpstreamBytes({ upstream: 'test', op: 'call', url: `${url}/api`, timeoutMs: 5000 });
    expect([res.status, res.ok, res.body.toString('utf8')]).toEqual([200, true, '{"€"}']);
  });

  it('does not follow a redirect: the attempt fails as retryable', async () => {
    const { url } = await start((_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end());
    const err = await call(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/^test call failed: unexpected redirect \(127\.0\.0\.1:\d+\)$/);
  });

  it('times out an answer that does not come within the deadline, as retryable', async () => {
    const { url } = await start(() => undefined);
    const err = await call(url, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toBe('test call timed out after 200 ms');
  });

  it('times out an answer whose body stops coming, as retryable', async () => {
    const { url } = await start((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"meta":');
    });
    const err = await call(url, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toBe('test call timed out after 300 ms');
  });

  it("passes the caller's abort reason through untouched", async () => {
    const { url } = await start(() => undefined);
    const stop = new AbortController();
    const reason = new Error('shutdown requested');
    const pending = call(url, { signal: stop.signal }).catch((e: unknown) => e);
    setImmediate(() => stop.abort(reason));
    expect(await pending).toBe(reason);
  });

  it('reports a refused connection as retryable, naming the failure', async () => {
    const { url, server } = await start(() => undefined);
    await new Promise((ok) => server.close(ok));
    const err = await call(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/^test call failed: ECONNREFUSED \(127\.0\.0\.1:\d+\)$/);
  });

  it('with errorTextLimit, reads at most that much of a failure body, marking the cut; a success body whole', async () => {
    const big = 'x'.repeat(1_000_000);
    const { url } = await start((req, res) => {
      res.writeHead(req.url === '/api' ? 502 : 200, { 'retry-after': '4' });
      res.end(big);
    });
    const failed = await call(url, { errorTextLimit: 10 });
    expect([failed.status, failed.ok, failed.text, failed.headers.get('retry-after')]).toEqual([502, false, 'xxxxxxxxxx…', '4']);
    const short = await call(url, { errorTextLimit: 2_000_000 });
    expect(short.text.length).toBe(1_000_000);
    const whole = await requestUpstreamText({ upstream: 'test', op: 'call', url: `${url}/ok`, timeoutMs: 5000, errorTextLimit: 10 });
    expect([whole.ok, whole.text.length]).toEqual([true, 1_000_000]);
  });

  it('with errorTextLimit, a failure body that breaks off leaves what was read', async () => {
    const { url } = await start((_req, res) => {
      res.writeHead(500, { 'content-length': '1000' });
      res.write('{"error":', () => setImmediate(() => res.destroy()));
    });
    const res = await call(url, { errorTextLimit: 500 });
    expect([res.status, res.text]).toEqual([500, '{"error":']);
  });
});
