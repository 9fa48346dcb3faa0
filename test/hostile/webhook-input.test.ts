/**
 * Hostile requests to the daemon's webhook endpoint (ambita-mirror push callback), over a real socket to the
 * real daemon: no token, a wrong token, an oversized body (declared, and chunked without a length). Each is
 * refused with a status and a body saying why, and nothing changes: no push recorded, no run started.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonHandle, startDaemon } from '../../src/core/daemon.js';
import { PUSH_MAX_BODY_BYTES } from '../../src/pipelines/ambita-mirror/webhook.js';
import { type AmbitaSandbox, startAmbitaSandbox } from '../../sandbox/ambita/server.js';
import { sandboxAmbitaConfig } from '../ambita/fixtures.js';
import { type TestApp, createTestApp } from '../helpers/app.js';
import { KIND } from '../helpers/maas-world.js';

const TOKEN = 'hook-token-7c1e9a40d2b35f86';

/** One request; `chunks` are written one by one, so without a content-length the body goes chunked. */
function send(port: number, path: string, chunks: Buffer[], headers: Record<string, string | number> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // The server may answer 413 and close while we are still writing: that is the point, not a failure.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('hostile webhook requests (daemon, ambita push callback)', () => {
  let sandbox: AmbitaSandbox;
  let app: TestApp;
  let daemon: DaemonHandle;
  let orderId: number;
  beforeAll(async () => {
    sandbox = await startAmbitaSandbox();
    app = await createTestApp(KIND, () => ({
      http: { host: '127.0.0.1' },
      upstreams: { ambita: { ...sandboxAmbitaConfig(sandbox), webhook_token: '${HOOK_TOKEN}' } },
      pipelines: [{ name: 'ambita', type: 'ambita-mirror', municipalities: ['9999'], sweep_interval_minutes: 60 }],
    }), { HOOK_TOKEN: TOKEN });
    app.watchSecrets('ambita sandbox token', () => sandbox.issuedTokens());
    // A tracked order, so a valid push would be recorded and trigger a run: the refusals below must do neither.
    orderId = (await sandbox.placeOrder({ productCodes: ['WI99990001'], cadastre: '9999-1-1-0-0' })).id;
    await app.db.kysely.insertInto('ambita_orders').values({ pipeline: 'ambita', order_id: orderId } as never).execute();
    daemon = await startDaemon(app, { port: 0 });
  });
  afterAll(async () => {
    await daemon?.stop();
    await app?.dispose();
    await sandbox?.close();
  });

  const pushes = async () => (await app.db.kysely.selectFrom('ambita_pushes').selectAll().execute()).length;
  const runs = async () => (await app.db.kysely.selectFrom('runs').selectAll().execute()).length;
  const body = (extra: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({ orderCollectionId: orderId, status: 'UPDATED', ...extra }));

  it('a push without a token (path or header) is 401 "unauthorized"; nothing recorded, no run', async () => {
    const res = await send(daemon.port, '/hooks/ambita', [body()]);
    expect(res).toEqual({ status: 401, body: JSON.stringify({ error: 'unauthorized' }) });
    expect(await pushes()).toBe(0);
    expect(await runs()).toBe(0);
  });

  it('a wrong token (in the path, as a header, as a bearer) is 401; nothing recorded, no run', async () => {
    const answers = [
      await send(daemon.port, `/hooks/ambita/${TOKEN}x`, [body()]),
      await send(daemon.port, '/hooks/ambita', [body()], { 'x-koppel-token': TOKEN.slice(0, -1) }),
      await send(daemon.port, '/hooks/ambita', [body()], { authorization: `Bearer ${TOKEN.toUpperCase()}` }),
      await send(daemon.port, '/hooks/ambita/%ZZ', [body()]),
    ];
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 400]);
    expect(await pushes()).toBe(0);
    expect(await runs()).toBe(0);
  });

  it('an oversized body with its length declared is refused 413 before it is read; nothing changes', async () => {
    const big = body({ pad: 'x'.repeat(PUSH_MAX_BODY_BYTES) });
    const res = await send(daemon.port, `/hooks/ambita/${TOKEN}`, [big], { 'content-length': big.length });
    expect(res).toEqual({ status: 413, body: JSON.stringify({ error: 'body too large' }) });
    expect(await pushes()).toBe(0);
    expect(await runs()).toBe(0);
  });

  it('an oversized chunked body (no length) is cut off at the limit with 413; nothing changes, the daemon stays up', async () => {
    const chunks = Array.from({ length: 64 }, () => Buffer.alloc(4096, 0x20)); // 256 KiB of JSON whitespace
    const res = await send(daemon.port, `/hooks/ambita/${TOKEN}`, [body().subarray(0, 1), ...chunks]);
    expect(res.status).toBe(413);
    expect(await pushes()).toBe(0);
    expect(await runs()).toBe(0);
    const health = await fetch(`http://127.0.0.1:${daemon.port}/healthz`);
    expect(health.status).toBe(200);
  });

  it('garbage with a valid token is 400 naming what is wrong; nothing recorded', async () => {
    const answers = [
      await send(daemon.port, `/hooks/ambita/${TOKEN}`, [Buffer.from('<xml>not json</xml>')]),
      await send(daemon.port, `/hooks/ambita/${TOKEN}`, [Buffer.from(JSON.stringify({ orderCollectionId: 'DROP TABLE' }))]),
      await send(daemon.port, `/hooks/ambita/${TOKEN}`, [Buffer.from(JSON.stringify({ orderCollectionId: 1e300 }))]),
    ];
    expect(answers.map((a) => [a.status, JSON.parse(a.body)])).toEqual([
      [400, { error: 'body must be JSON' }],
      [400, { error: 'not a push message' }],
      [400, expect.objectContaining({ error: expect.any(String) })],
    ]);
    expect(await pushes()).toBe(0);
    expect(await runs()).toBe(0);
  });

  it('control: the same push with the right token is accepted and recorded (so the refusals above were real)', async () => {
    const res = await send(daemon.port, `/hooks/ambita/${TOKEN}`, [body()]);
    expect(res.status).toBe(202);
    expect(await pushes()).toBe(1);
  });
});
