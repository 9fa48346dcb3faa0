import { afterEach, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/database.js';
import { CADASTRE_REQUEST, expectMirrorEqualsSandbox, type MirrorHarness, startMirrorHarness } from './harness.js';

let h: MirrorHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.each(testDatabaseKinds)('ambita-mirror: who started the run decides what it reads, on %s', (kind) => {
  // The outage case of issue 13: pushes were lost, the last sweep is minutes old, an operator runs it by hand.
  it('a run started by a person reconciles every followed order within the sweep interval; a daemon run does not', async () => {
    h = await startMirrorHarness(kind, { sandbox: { pushLossRate: 1 }, pipeline: { sweep_interval_minutes: 60 } });
    await h.order(CADASTRE_REQUEST);
    expect((await h.run()).outcome).toBe('succeeded'); // sweeps (the first sweep) and places the order
    expect((await h.run()).counts.seen).toBe(0); // reads the new order once (nothing delivered yet)
    const order = [...h.sandbox.book.orders.values()][0]!;
    await h.sandbox.advance(order.id);
    await h.sandbox.finish(order.id); // its push is lost
    expect(await h.settle()).toEqual([]);

    const daemonRun = await h.run(); // what a schedule tick would do inside the interval
    expect(daemonRun.outcome).toBe('succeeded');
    expect(daemonRun.counts.seen).toBe(0);
    expect(daemonRun.counts.created).toBe(0);

    const byHand = await h.run({ startedBy: 'person' });
    expect(byHand.outcome).toBe('succeeded');
    expect(byHand.counts.created).toBe(2);
    await expectMirrorEqualsSandbox(h);
  });
});
