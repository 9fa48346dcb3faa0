/**
 * UpstreamGateway.call's `release`: a call gives its queue slot back once the upstream's part is done, and the
 * next call starts while it finishes its local work; its result, its failure and its retry stay its own.
 */
import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../src/core/errors.js';
import { KoppelEvents } from '../../src/core/events.js';
import { retryPolicySchema } from '../../src/core/retry.js';
import { UpstreamGateway, rateLimitSchema } from '../../src/core/upstream-gateway.js';

const policy = retryPolicySchema.parse({ max_attempts: 3, base_delay_ms: 0, max_delay_ms: 0 });

function gateway(concurrency: number) {
  const events = new KoppelEvents();
  const requests: { ok: boolean }[] = [];
  events.on('upstream:request', (e) => requests.push(e));
  return { gw: new UpstreamGateway('test', rateLimitSchema('test', { concurrency, per_second: 10_000, basis: 'test' }).parse({}), policy, events), requests };
}

/** A promise and its resolve, for steps the test releases by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('UpstreamGateway.call release', () => {
  it('gives the slot to the next call; the released call still delivers its own result', async () => {
    const { gw, requests } = gateway(1);
    const localWork = gate();
    const order: string[] = [];
    const first = gw.call('op', async (_signal, release) => {
      order.push('first: answer read');
      release();
      await localWork.opened;
      order.push('first: local work done');
      return 'first';
    });
    const second = gw.call('op', async () => {
      order.push('second: started');
      return 'second';
    });
    expect(await second).toBe('second');
    expect(order).toEqual(['first: answer read', 'second: started']);
    expect(gw.depth).toBe(0); // the released call holds no slot
    localWork.open();
    expect(await first).toBe('first');
    expect(order.at(-1)).toBe('first: local work done');
    expect(requests).toHaveLength(2); // one request metric each, the released one when it ended
  });

  it('without release, the next call waits for the whole attempt', async () => {
    const { gw } = gateway(1);
    const order: string[] = [];
    const first = gw.call('op', async () => {
      await new Promise((r) => setTimeout(r, 5));
      order.push('first done');
    });
    const second = gw.call('op', async () => void order.push('second started'));
    await Promise.all([first, second]);
    expect(order).toEqual(['first done', 'second started']);
  });

  it('a failure after the release is the call’s own, and retried like any other', async () => {
    const { gw, requests } = gateway(1);
    let attempts = 0;
    const result = await gw.call('op', async (_signal, release) => {
      attempts++;
      release();
      release(); // twice is harmless
      await new Promise((r) => setTimeout(r, 1));
      if (attempts < 2) throw new RetryableError('disk hiccup');
      return attempts;
    });
    expect(result).toBe(2);
    expect(requests.map((r) => r.ok)).toEqual([false, true]);

    const failing = gw.call('op', async (_signal, release) => {
      release();
      throw new RetryableError('always');
    });
    await expect(failing).rejects.toThrow('always');
  });
});
