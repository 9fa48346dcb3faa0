import { describe, expect, it } from 'vitest';
import { BackOffError, NotConnectedError, PermanentError, RetryableError } from '../../src/core/errors.js';
import { backoffDelay, retryPolicySchema, withRetry } from '../../src/core/retry.js';

const fast = retryPolicySchema.parse({ max_attempts: 4, base_delay_ms: 1, max_delay_ms: 4, max_retry_after_ms: 50 });

function failing(errors: Error[]) {
  let calls = 0;
  const fn = async () => {
    const err = errors[calls++];
    if (err) throw err;
    return 'ok';
  };
  return { fn, calls: () => calls };
}

describe('withRetry', () => {
  it('retries transient errors with bounded attempts', async () => {
    const ok = failing([new RetryableError('a'), new RetryableError('b')]);
    await expect(withRetry(ok.fn, fast)).resolves.toBe('ok');
    expect(ok.calls()).toBe(3);
    const never = failing(Array.from({ length: 10 }, () => new RetryableError('down')));
    await expect(withRetry(never.fn, fast)).rejects.toThrow('down');
    expect(never.calls()).toBe(4);
  });

  it('never retries permanent errors', async () => {
    const err = new PermanentError('bad');
    const f = failing([err]);
    await expect(withRetry(f.fn, fast)).rejects.toBe(err);
    expect(f.calls()).toBe(1);
  });

  it('waits out a Retry-After, but not one longer than allowed or infinite', async () => {
    const waits: number[] = [];
    const f = failing([new BackOffError('slow down', 20)]);
    await withRetry(f.fn, fast, { onRetry: (i) => waits.push(i.delayMs), random: () => 0.5 });
    expect(waits).toEqual([21]); // 20 ms + 5 % jitter
    const long = failing([new BackOffError('come back tomorrow', 60_000)]);
    await expect(withRetry(long.fn, fast)).rejects.toThrow('tomorrow');
    const forever = failing([new BackOffError('cap reached', Number.POSITIVE_INFINITY)]);
    await expect(withRetry(forever.fn, fast)).rejects.toThrow('cap reached');
    expect(forever.calls()).toBe(1);
  });

  it('reconnects once on NotConnectedError', async () => {
    let reconnects = 0;
    const f = failing([new NotConnectedError('token expired')]);
    await expect(withRetry(f.fn, fast, { reconnect: async () => void reconnects++ })).resolves.toBe('ok');
    expect(reconnects).toBe(1);
    const twice = failing([new NotConnectedError('x'), new NotConnectedError('again')]);
    await expect(withRetry(twice.fn, fast, { reconnect: async () => undefined })).rejects.toThrow('again');
  });

  it('retries an unknown error exactly once', async () => {
    const f = failing([new Error('weird'), new Error('weird again')]);
    await expect(withRetry(f.fn, fast)).rejects.toThrow('weird again');
    expect(f.calls()).toBe(2);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const f = failing(Array.from({ length: 5 }, () => new RetryableError('x')));
    const slow = retryPolicySchema.parse({ base_delay_ms: 60_000, max_delay_ms: 60_000 });
    const p = withRetry(f.fn, slow, { signal: controller.signal, random: () => 1 });
    controller.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const p = retryPolicySchema.parse({ base_delay_ms: 100, max_delay_ms: 1000 });
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(p, a, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(p, 3, () => 0)).toBe(0);
  });
});
