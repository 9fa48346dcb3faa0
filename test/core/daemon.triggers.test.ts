/**
 * The daemon's triggers (push messages on its webhook route, schedule ticks) go through the runner's
 * coalescing: a trigger that lands while a run of the pipeline is in its last step gets one follow-up run.
 */
import cron from 'node-cron';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/core/app.js';
import { type DaemonHandle, startDaemon } from '../../src/core/daemon.js';
import { Runner } from '../../src/core/runner.js';
import { type AmbitaSandbox, startAmbitaSandbox } from '../../sandbox/ambita/server.js';
import { sandboxAmbitaConfig } from '../ambita/fixtures.js';
import { pollUntil } from '../fixtures/poll.js';
import { type TestApp, createTestApp } from '../helpers/app.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { LastStepGate } from '../helpers/last-step-gate.js';

const TOKEN = 'hook-token-3f9c2e71b8d4a605';

describe.each(testDatabaseKinds)('daemon triggers during a run (%s)', (kind) => {
  let sandbox: AmbitaSandbox;
  let app: TestApp;
  let daemon: DaemonHandle | undefined;
  let gate: LastStepGate;
  let orderId: number;

  beforeEach(async () => {
    sandbox = await startAmbitaSandbox();
    app = await createTestApp(
      kind,
      () => ({
        http: { host: '127.0.0.1' },
        upstreams: { ambita: { ...sandboxAmbitaConfig(sandbox), webhook_token: '${HOOK_TOKEN}' } },
        // Scheduled once a year: the test fires the tick itself.
        pipelines: [{ name: 'ambita', type: 'ambita-mirror', schedule: '0 0 1 1 *', municipalities: ['9999'], sweep_interval_minutes: 60 }],
      }),
      { HOOK_TOKEN: TOKEN },
    );
    app.watchSecrets('ambita sandbox token', () => sandbox.issuedTokens());
    const order = await sandbox.placeOrder({ productCodes: ['WI99990001'], cadastre: '9999-1-1-0-0' });
    orderId = order.id;
    await app.db.kysely.insertInto('ambita_orders').values({ pipeline: 'ambita', order_id: orderId } as never).execute();
    gate = new LastStepGate(app.db);
    const runner = new Runner({ config: app.config, db: gate.db, registries: app.registries, upstreams: app.upstreams, events: app.events, log: app.log });
    const gated: App = { ...app, db: gate.db, runner };
    daemon = await startDaemon(gated, { port: 0 });
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await app.dispose();
    await sandbox.close();
  });

  const push = (status: string) =>
    fetch(`http://127.0.0.1:${daemon!.port}/hooks/ambita/${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderCollectionId: orderId, status }),
    });
  const unhandled = async () => (await app.db.kysely.selectFrom('ambita_pushes').select('id').where('handled_at', 'is', null).execute()).length;
  const runs = () => app.db.kysely.selectFrom('runs').selectAll().orderBy('started_at').orderBy('id').execute();

  it('pushes and a schedule tick landing in a run\'s last step get one follow-up run, which handles every push', async () => {
    const held = gate.hold();
    expect((await push('UPDATED')).status).toBe(202); // starts run 1
    await held.reached;
    await sandbox.finish(orderId); // delivers files; announced by the push below
    expect((await push('FINISHED')).status).toBe(202);
    expect((await push('UPDATED')).status).toBe(202);
    const task = [...cron.getTasks().values()].find((t) => t.name === 'koppel:ambita' && t.getStatus() !== 'destroyed')!;
    const tick = task.execute(); // node-cron's own call of the tick handler
    expect(await unhandled()).toBe(2);
    held.open();
    await tick; // the scheduler awaits the run its tick led to: the follow-up
    await pollUntil('every push handled', async () => (await unhandled()) === 0);
    const rows = await runs();
    expect(rows.map((r) => r.outcome)).toEqual(['succeeded', 'succeeded']); // run 1 and one follow-up, no more
    expect(new Date(rows[0]!.ended_at!).getTime()).toBeLessThanOrEqual(new Date(rows[1]!.started_at).getTime());
    const files = await app.db.kysely.selectFrom('ambita_assets').select('state').where('order_id', '=', orderId).execute();
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => f.state === 'stored')).toBe(true);
  });
});
