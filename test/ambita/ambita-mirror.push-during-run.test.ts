/**
 * Every push is handled, whenever it lands: pushes go through the real webhook endpoint (sent by the sandbox),
 * and each one triggers the runner as the daemon does. A push that lands while a run of the pipeline is in
 * progress (which has already read the pending pushes) gets one follow-up run after it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxOrder } from '../../sandbox/ambita/state.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { CADASTRE_REQUEST, expectMirrorEqualsSandbox, type MirrorHarness, PIPELINE, startMirrorHarness } from './harness.js';

let h: MirrorHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Three followed orders, delivered and mirrored: the state every test starts from. */
async function threeMirroredOrders(harness: MirrorHarness): Promise<SandboxOrder[]> {
  for (let i = 0; i < 3; i++) await harness.order(CADASTRE_REQUEST);
  expect((await harness.run()).outcome).toBe('succeeded');
  await harness.settle(); // the NEW pushes
  const orders = [...harness.sandbox.book.orders.values()];
  for (const o of orders) await harness.sandbox.finish(o.id);
  await harness.settle();
  await expectMirrorEqualsSandbox(harness);
  return orders;
}

async function unhandledPushes(harness: MirrorHarness): Promise<number> {
  const rows = await harness.t.db.kysely.selectFrom('ambita_pushes').select('id').where('pipeline', '=', PIPELINE).where('handled_at', 'is', null).execute();
  return rows.length;
}

/** Every run of the pipeline ended before the next one started. */
async function expectRunsNeverOverlapped(harness: MirrorHarness): Promise<void> {
  const rows = await harness.t.db.kysely.selectFrom('runs').selectAll().where('pipeline', '=', PIPELINE).orderBy('started_at').orderBy('id').execute();
  expect(rows.filter((r) => r.ended_at === null)).toEqual([]);
  for (let i = 1; i < rows.length; i++) {
    const [prev, next] = [rows[i - 1]!, rows[i]!];
    expect(new Date(prev.ended_at!).getTime(), `run ${prev.id} overlaps run ${next.id}`).toBeLessThanOrEqual(new Date(next.started_at).getTime());
  }
}

const runCount = async (harness: MirrorHarness) => (await harness.t.db.kysely.selectFrom('runs').select('id').where('pipeline', '=', PIPELINE).execute()).length;

describe.each(testDatabaseKinds)('ambita pushes during a run on %s', (kind) => {
  it('a burst of pushes (added, deleted, replaced files, a cancel and a refund): every one handled, runs never overlap', async () => {
    h = await startMirrorHarness(kind, { liveTriggers: true });
    const { sandbox } = h;
    const [a, b, c] = await threeMirroredOrders(h);
    const pushesBefore = sandbox.pushes().length;
    // Back to back: the first push starts a run, the others land wherever that run happens to be.
    await sandbox.addAsset(a!.id, { filename: 'Tillegg.pdf' });
    await sandbox.deleteAsset(a!.orders[0]!.lines[0]!.assets[0]!.id);
    await sandbox.replaceAsset(b!.orders[0]!.lines[0]!.assets[0]!.id);
    await sandbox.addAsset(b!.id, { lineId: b!.orders[0]!.lines[1]!.id });
    await sandbox.cancel(c!.id);
    await sandbox.refund(b!.id);
    const burst = sandbox.pushes().slice(pushesBefore);
    expect(burst.map((p) => p.status)).toEqual([202, 202, 202, 202, 202, 202]);

    const results = await h.settle();
    expect(results.length).toBeGreaterThanOrEqual(1);
    for (const r of results) expect(r.outcome).toBe('succeeded');
    expect(await unhandledPushes(h)).toBe(0);
    await expectMirrorEqualsSandbox(h); // the cancelled and refunded orders' files are gone, the rest is exact
    await expectRunsNeverOverlapped(h);
  });

  it('pushes landing in a run\'s last step are all handled by one follow-up run after it', async () => {
    h = await startMirrorHarness(kind, { liveTriggers: true });
    const { sandbox } = h;
    const [a, b, c] = await threeMirroredOrders(h);
    const runsBefore = await runCount(h);

    const held = h.gate.hold();
    await sandbox.addAsset(a!.id, { filename: 'Tillegg.pdf' }); // its push starts run 1
    await held.reached; // run 1 has read the pending pushes, done its work and recorded its end
    await sandbox.deleteAsset(a!.orders[0]!.lines[0]!.assets[0]!.id);
    await sandbox.addAsset(b!.id, {});
    await sandbox.replaceAsset(c!.orders[0]!.lines[0]!.assets[0]!.id);
    await sandbox.cancel(b!.id);
    await sandbox.refund(c!.id);
    expect(sandbox.pushes().slice(-6).map((p) => p.status)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(await unhandledPushes(h)).toBe(5); // recorded, waiting for the follow-up
    held.open();

    const results = await h.settle();
    expect(results.map((r) => r.outcome)).toEqual(['succeeded', 'succeeded']); // run 1 and exactly one follow-up
    expect(results[1]!.runId).toBeGreaterThan(results[0]!.runId!);
    expect(await runCount(h)).toBe(runsBefore + 2);
    expect(await unhandledPushes(h)).toBe(0);
    const handledBy = await h.t.db.kysely.selectFrom('ambita_pushes').select('handled_run_id').where('handled_run_id', '=', results[1]!.runId).execute();
    expect(handledBy).toHaveLength(5);
    await expectMirrorEqualsSandbox(h);
    await expectRunsNeverOverlapped(h);
  });
});
