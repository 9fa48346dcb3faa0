import { request } from 'node:http';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import cron from 'node-cron';
import pg from 'pg';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/core/app.js';
import { type DaemonHandle, startDaemon } from '../../src/core/daemon.js';
import { startHttpServer } from '../../src/core/http-server.js';
import type { WebhookRoute } from '../../src/core/types.js';
import type { DB } from '../../src/db/schema.js';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { pollUntil } from '../fixtures/poll.js';
import type { TestApp } from '../helpers/app.js';
import { maasWorld } from '../helpers/maas-world.js';
import { createTestDatabase, testDatabaseKinds } from '../helpers/database.js';

interface Reply {
  status: number;
  body: string;
}

/** One HTTP request over a real socket; `chunks` are written one by one (chunked unless content-length is set). */
function send(port: number, method: string, path: string, options: { headers?: Record<string, string | number>; chunks?: Buffer[]; end?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const c of options.chunks ?? []) req.write(c);
    if (options.end === false) req.flushHeaders();
    else req.end();
  });
}

describe('startHttpServer webhook routes', () => {
  const calls: { params: Record<string, string>; body: string }[] = [];
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  const routes: WebhookRoute[] = [
    {
      method: 'POST',
      path: '/hooks/:pipeline/:token',
      maxBodyBytes: 1024,
      async handle(req) {
        calls.push({ params: req.params, body: req.body.toString('utf8') });
        return { status: 202, body: { accepted: req.params.pipeline } };
      },
    },
  ];

  beforeAll(async () => {
    http = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      log: pino({ level: 'silent' }),
      routes,
      health: async () => ({ ok: true, detail: {} }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
    });
  });
  afterAll(() => http.close());
  beforeEach(() => {
    calls.length = 0;
  });

  it('matches path params (decoded) and passes the body to the handler', async () => {
    const res = await send(http.port, 'POST', '/hooks/ambita/t%C3%B8ken', { chunks: [Buffer.from('{"a":1}')] });
    expect(res).toEqual({ status: 202, body: '{"accepted":"ambita"}' });
    expect(calls).toEqual([{ params: { pipeline: 'ambita', token: 'tøken' }, body: '{"a":1}' }]);
  });

  it('answers 404 for unknown paths and methods, without running a handler', async () => {
    expect((await send(http.port, 'POST', '/hooks/ambita')).status).toBe(404);
    expect((await send(http.port, 'POST', '/hooks/a/b/c')).status).toBe(404);
    expect((await send(http.port, 'GET', '/hooks/ambita/token')).status).toBe(404);
    expect((await send(http.port, 'POST', '/nothing')).status).toBe(404);
    expect(calls).toEqual([]);
  });

  it('answers 400, not 500, for a malformed percent-encoding in a path param', async () => {
    expect((await send(http.port, 'POST', '/hooks/ambita/%E0%A4%A', { chunks: [Buffer.from('x')] })).status).toBe(400);
    expect(calls).toEqual([]);
  });

  it('refuses an oversized body by Content-Length with 413 before reading it', async () => {
    // Only the headers are sent: the answer must come without the body ever arriving.
    const res = await send(http.port, 'POST', '/hooks/ambita/token', { headers: { 'content-length': 5000 }, end: false });
    expect(res.status).toBe(413);
    expect(calls).toEqual([]);
  });

  it('refuses an oversized chunked body with 413 while reading it', async () => {
    // Chunked: no Content-Length; 2 KiB in two chunks, the request left open as a slow sender would.
    const res = await send(http.port, 'POST', '/hooks/ambita/token', { chunks: [Buffer.alloc(1000, 97), Buffer.alloc(1000, 98)], end: false });
    expect(res.status).toBe(413);
    expect(calls).toEqual([]);
  });

  it('accepts a body of exactly the limit', async () => {
    const res = await send(http.port, 'POST', '/hooks/ambita/token', { chunks: [Buffer.alloc(1024, 97)] });
    expect(res.status).toBe(202);
    expect(calls[0]?.body).toHaveLength(1024);
  });
});

describe.each(testDatabaseKinds)('daemon on %s', (kind) => {
  let sandbox: MaasplassenSandbox;
  let app: TestApp;
  let daemon: DaemonHandle | undefined;

  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
  });
  afterAll(() => sandbox.close());

  beforeEach(async () => {
    sandbox.reset();
    sandbox.faults.set({ latencyMs: 0, errorRate: 0 });
    const world = await maasWorld(sandbox, {
      kind,
      config: { http: { host: '127.0.0.1' } },
      // Scheduled once a year: the tests trigger ticks themselves, never by waiting.
      pipeline: { schedule: '0 0 1 1 *', chunk_size: 5 },
      more: (csv) => [
        { name: 'manual', type: 'maasplassen-availability', source: { csv } },
        { name: 'off', type: 'maasplassen-availability', enabled: false, schedule: '0 0 1 1 *', source: { csv } },
      ],
    });
    app = world.app;
    await writeAvailabilityCsv(world.csv, exampleAvailability(['91', '92', '93'], dateRange('2027-06-01', 10)), ['4711,2027-06-01,ja,Hele dag,,9500,,,']);
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await app.dispose();
  });

  const get = (path: string) => send(daemon!.port, 'GET', path);

  it('/healthz is 200 with the database ok', async () => {
    daemon = await startDaemon(app, { port: 0 });
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok', database: 'ok', running: [], stopping: false });
  });

  it('/healthz is 503 when the database is unreachable or closed', async () => {
    const unreachable = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: 'postgres://koppel@127.0.0.1:1/none', connectionTimeoutMillis: 2000 }) }) });
    // A closed handle: on the server a second handle on the app's own database (dropping a database under a
    // closing pool races with its sockets), on PGlite a scratch database.
    // Closed: a scratch PGlite database (kysely re-opens a destroyed pg pool on demand, so on the server
    // "unreachable" is the case that matters).
    const scratch = await createTestDatabase('pglite');
    await scratch.drop();
    for (const kysely of [unreachable, scratch.db.kysely]) {
      const broken: App = { ...app, db: { ...app.db, kysely } };
      const d = await startDaemon(broken, { port: 0 });
      try {
        const res = await send(d.port, 'GET', '/healthz');
        expect(res.status).toBe(503);
        expect(JSON.parse(res.body)).toMatchObject({ status: 'unhealthy' });
        expect(JSON.parse(res.body).database).not.toBe('ok');
      } finally {
        await d.stop();
      }
    }
    await unreachable.destroy();
  });

  it('/healthz passes the database error through the log scrubber: no URL password, no configured secret', async () => {
    const secret = String(sandbox.credentials.secret);
    const message = `connect to postgres://koppel:hunter2-db-pw@db.example:5432/koppel failed (signed with ${secret})`;
    // The database handle alone is replaced, by one whose query fails with a driver-like message.
    const failing = { selectNoFrom: () => ({ execute: () => Promise.reject(new Error(message)) }) } as unknown as Kysely<DB>;
    const d = await startDaemon({ ...app, db: { ...app.db, kysely: failing } }, { port: 0 });
    try {
      const res = await send(d.port, 'GET', '/healthz');
      expect(res.status).toBe(503);
      const database = JSON.parse(res.body).database as string;
      expect(database).toBe('connect to postgres://koppel:[redacted]@db.example:5432/koppel failed (signed with [redacted])');
      expect(res.body).not.toContain('hunter2-db-pw');
      expect(res.body).not.toContain(secret);
    } finally {
      await d.stop();
    }
  });

  it('/metrics serves Prometheus text with runs, items, upstream requests, errors and queue depth after a run', async () => {
    daemon = await startDaemon(app, { port: 0 });
    sandbox.faults.set({ errorRate: 0.3, seed: 11 });
    const result = await app.runner.run('boats');
    sandbox.faults.set({ errorRate: 0 });
    expect(result.outcome).toBe('rejected');
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    const errors = sandbox.requests.filter((r) => (r.status ?? 200) >= 500).length;
    expect(errors).toBeGreaterThan(0);
    const text = res.body;
    expect(text).toContain('koppel_runs_total{pipeline="boats",outcome="rejected"} 1');
    expect(text).toContain('koppel_items_total{pipeline="boats",status="created"} 30');
    expect(text).toContain('koppel_items_total{pipeline="boats",status="rejected"} 1');
    expect(text).toMatch(/koppel_upstream_requests_total\{upstream="maasplassen",op="[^"]+"\} \d+/);
    const errorSamples = [...text.matchAll(/^koppel_upstream_errors_total\{upstream="maasplassen",op="[^"]+",kind="RetryableError"\} (\d+)$/gm)];
    expect(errorSamples.reduce((n, m) => n + Number(m[1]), 0)).toBe(errors);
    expect(text).toContain('koppel_upstream_queue_depth{upstream="maasplassen"} 0');
  });

  it('a schedule tick starts a run, claimed once; disabled and unscheduled pipelines get no task', async () => {
    daemon = await startDaemon(app, { port: 0 });
    const tasks = [...cron.getTasks().values()].filter((t) => t.name?.startsWith('koppel:') && t.getStatus() !== 'stopped' && t.getStatus() !== 'destroyed');
    expect(tasks.map((t) => t.name)).toEqual(['koppel:boats']);
    await tasks[0]!.execute();
    const runs = await app.db.kysely.selectFrom('runs').select(['pipeline', 'outcome']).execute();
    expect(runs).toEqual([{ pipeline: 'boats', outcome: 'rejected' }]);
    const ticks = await app.db.kysely.selectFrom('schedule_ticks').select(['pipeline', 'claimed_by']).execute();
    expect(ticks).toEqual([{ pipeline: 'boats', claimed_by: expect.stringContaining(`:${process.pid}`) }]);
  });

  it('stop() waits for the run in hand, which ends at a checkpoint, and releases its lock', async () => {
    daemon = await startDaemon(app, { port: 0 });
    sandbox.faults.set({ latencyMs: 150 });
    let settled = false;
    const running = app.runner.run('boats').finally(() => (settled = true));
    await pollUntil('the first push', () => sandbox.requests.some((r) => r.path.endsWith('/availability/update')));
    await daemon.stop();
    expect(settled).toBe(true);
    const result = await running;
    expect(result.outcome).toBe('stopped'); // recorded as cut short, not as a success
    expect(result.counts.created).toBeGreaterThan(0);
    expect(result.counts.created).toBeLessThan(30); // it stopped between chunks instead of pushing everything
    const row = await app.db.kysely.selectFrom('runs').selectAll().where('id', '=', result.runId!).executeTakeFirstOrThrow();
    expect(row.outcome).toBe('stopped');
    expect(row.ended_at).not.toBeNull();
    const state = await app.db.kysely.selectFrom('item_state').select('item_key').execute();
    expect(state).toHaveLength(result.counts.created); // what was pushed is recorded; nothing more
    expect(app.runner.active).toEqual([]);
    expect(await app.runner.run('boats')).toMatchObject({ outcome: 'skipped', reason: 'shutting down' });
    if (kind === 'postgres') {
      const res = await sql<{ n: number }>`select count(*)::int as n from pg_locks
        where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`.execute(app.db.kysely);
      expect(res.rows[0]!.n).toBe(0);
    }
    await expect(get('/healthz')).rejects.toThrow(); // the server is closed
    daemon = undefined;
  });

  it('abort() (second signal): no new chunk starts, the calls in flight get the signal and end before the run is recorded and its lock released', async () => {
    daemon = await startDaemon(app, { port: 0 });
    const pushes = () => sandbox.requests.filter((r) => r.path.endsWith('/availability/update')).length;
    let atEnd: { inFlight: number | undefined; pushes: number } | undefined;
    const offs = [
      app.events.on('run:end', () => (atEnd = { inFlight: app.upstreams.depths().maasplassen, pushes: pushes() })),
      // Once the fleet is read, every push hangs until aborted (emitted before the next request is sent).
      app.events.on('upstream:request', (e) => e.op === 'fleet' && sandbox.faults.set({ latencyMs: 60_000 })),
    ];
    try {
      const running = app.runner.run('boats');
      // The default rate allows 4 calls at once: 4 chunks are in flight.
      await pollUntil('four pushes in flight', () => pushes() === 4);
      const stopped = daemon.stop();
      daemon.abort();
      await stopped;
      const result = await running;
      expect(['failed', 'stopped']).toContain(result.outcome);
      expect(atEnd).toEqual({ inFlight: 0, pushes: 4 }); // recorded only once nothing of the run was in flight
      expect(pushes()).toBe(4); // and nothing started after the abort
      const row = await app.db.kysely.selectFrom('runs').selectAll().where('id', '=', result.runId!).executeTakeFirstOrThrow();
      expect(row.ended_at).not.toBeNull();
      if (kind === 'postgres') {
        const res = await sql<{ n: number }>`select count(*)::int as n from pg_locks
          where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`.execute(app.db.kysely);
        expect(res.rows[0]!.n).toBe(0);
      }
    } finally {
      for (const off of offs) off();
      sandbox.faults.set({ latencyMs: 0 });
    }
    daemon = undefined;
  });
});
