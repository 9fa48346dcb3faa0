/**
 * attemptSignal: one attempt's deadline joined with the caller's abort, and nothing of either left once the
 * attempt has finished (no timer to fire, no listener on the caller's long-lived signal).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { attemptSignal } from '../../src/core/http-request.js';

describe('attemptSignal', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the deadline aborts with a TimeoutError and says it was the deadline', () => {
    const caller = new AbortController();
    const a = attemptSignal({ timeoutMs: 1000, signal: caller.signal });
    vi.advanceTimersByTime(999);
    expect(a.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(a.signal.aborted).toBe(true);
    expect((a.signal.reason as Error).name).toBe('TimeoutError');
    expect(a.deadline.aborted).toBe(true);
  });

  it("the caller's abort passes its reason through; already aborted callers too; no caller signal is fine", () => {
    const caller = new AbortController();
    const a = attemptSignal({ timeoutMs: 1000, signal: caller.signal });
    const reason = new Error('shutdown');
    caller.abort(reason);
    expect(a.signal.reason).toBe(reason);
    expect(a.deadline.aborted).toBe(false);
    expect(attemptSignal({ timeoutMs: 1000, signal: caller.signal }).signal.reason).toBe(reason);
    const alone = attemptSignal({ timeoutMs: 5, signal: undefined });
    vi.advanceTimersByTime(5);
    expect(alone.deadline.aborted).toBe(true);
  });

  it('after finish, neither the deadline nor the caller aborts it, and no timer is left', () => {
    const caller = new AbortController();
    const a = attemptSignal({ timeoutMs: 1000, signal: caller.signal });
    expect(vi.getTimerCount()).toBe(1);
    a.finish();
    a.finish(); // twice is harmless
    expect(vi.getTimerCount()).toBe(0);
    caller.abort(new Error('later'));
    vi.advanceTimersByTime(2000);
    expect(a.signal.aborted).toBe(false);
    expect(a.deadline.aborted).toBe(false);
  });
});
