import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackOffError, PermanentError, RetryableError } from '../../src/core/errors.js';
import { KoppelEvents, type KoppelEventMap } from '../../src/core/events.js';
import { retryPolicySchema } from '../../src/core/retry.js';
import { UpstreamGateway, rateLimitSchema } from '../../src/core/upstream-gateway.js';

// Zero backoff so that retries do not add their own timers; BackOffError waits are what the tests control.
const policy = retryPolicySchema.parse({ max_attempts: 3, base_delay_ms: 0, max_delay_ms: 0, max_retry_after_ms: 10_000 });

/** A call whose completion the test controls, recording when it started. */
class Calls {
  readonly started: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  readonly #pending = new Map<string, { resolve: (v: string) => void; reject: (e: Error) => void }[]>();

  fn(name: string) {
    return () =>
      new Promise<string>((resolve, reject) => {
        this.started.push(name);
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        const done = <A extends unknown[]>(f: (...a: A) => void) => (...a: A) => {
          this.inFlight--;
          f(...a);
        };
        const list = this.#pending.get(name) ?? [];
        list.push({ resolve: done(resolve), reject: done(reject) });
        this.#pending.set(name, list);
      });
  }

  finish(name: string, error?: Error): void {
    const next = this.#pending.get(name)?.shift();
    if (!next) throw new Error(`${name} is not in flight`);
    if (error) next.reject(error);
    else next.resolve(name);
  }
}

/** Lets queued promise callbacks and p-queue's microtask hops run, without moving the fake clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

function gateway(rate: { concurrency?: number; per_second?: number }) {
  const events = new KoppelEvents();
  const seen: { [E in keyof KoppelEventMap]?: KoppelEventMap[E][] } = {};
  for (const name of ['upstream:request', 'upstream:backoff', 'upstream:queue'] as const) {
    events.on(name, (e) => ((seen[name] ??= []) as unknown[]).push(e));
  }
  return { gw: new UpstreamGateway('test', rateLimitSchema('test', { concurrency: 4, per_second: 10, basis: 'test' }).parse(rate), policy, events), seen };
}

describe('UpstreamGateway', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never has more calls in flight than the concurrency limit', async () => {
    const { gw } = gateway({ concurrency: 3, per_second: 1000 });
    const calls = new Calls();
    const results = Array.from({ length: 10 }, (_, i) => gw.call('op', calls.fn(`c${i}`)));
    await settle();
    expect(calls.started).toEqual(['c0', 'c1', 'c2']);
    expect(gw.depth).toBe(10);
    for (let i = 0; i < 10; i++) {
      calls.finish(`c${i}`);
      await settle();
    }
    expect(await Promise.all(results)).toHaveLength(10);
    expect(calls.maxInFlight).toBe(3);
    expect(calls.started).toHaveLength(10);
    expect(gw.depth).toBe(0);
  });

  it('starts at most per_second calls in each one-second window', async () => {
    const { gw } = gateway({ concurrency: 100, per_second: 4 });
    const calls = new Calls();
    const results = Array.from({ length: 10 }, (_, i) => gw.call('op', calls.fn(`c${i}`)));
    await settle();
    expect(calls.started).toHaveLength(4);
    for (const name of [...calls.started]) calls.finish(name);
    await settle();
    expect(calls.started).toHaveLength(4); // finishing frees concurrency, not the rate budget
    await vi.advanceTimersByTimeAsync(999);
    expect(calls.started).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.started).toHaveLength(8);
    for (const name of calls.started.slice(4)) calls.finish(name);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.started).toHaveLength(10);
    for (const name of calls.started.slice(8)) calls.finish(name);
    await expect(Promise.all(results)).resolves.toHaveLength(10);
  });

  it('supports fractional rates: 0.5 per second is one call every two seconds', async () => {
    const { gw } = gateway({ concurrency: 10, per_second: 0.5 });
    const calls = new Calls();
    const results = [gw.call('op', calls.fn('a')), gw.call('op', calls.fn('b'))];
    await settle();
    expect(calls.started).toEqual(['a']);
    calls.finish('a');
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls.started).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.started).toEqual(['a', 'b']);
    calls.finish('b');
    await Promise.all(results);
  });

  it('a BackOffError with a finite wait pauses the whole queue, not just its caller', async () => {
    const { gw, seen } = gateway({ concurrency: 2, per_second: 1000 });
    const calls = new Calls();
    const a = gw.call('op', calls.fn('a'));
    const b = gw.call('op', calls.fn('b'));
    const c = gw.call('op', calls.fn('c'));
    await settle();
    expect(calls.started).toEqual(['a', 'b']);
    calls.finish('a', new BackOffError('429', 5_000));
    calls.finish('b'); // frees a slot: without the pause, c would start now
    await settle();
    expect(calls.started).toEqual(['a', 'b']);
    await vi.advanceTimersByTimeAsync(4_900);
    expect(calls.started).toEqual(['a', 'b']);
    // The pause is 5 s; a's own retry waits 5 s plus up to 10 % jitter. c goes first once the queue resumes.
    await vi.advanceTimersByTimeAsync(100);
    expect(calls.started.slice(0, 3)).toEqual(['a', 'b', 'c']);
    await vi.advanceTimersByTimeAsync(600);
    expect(calls.started).toEqual(['a', 'b', 'c', 'a']);
    calls.finish('c');
    calls.finish('a');
    await expect(Promise.all([a, b, c])).resolves.toEqual(['a', 'b', 'c']);
    expect(seen['upstream:backoff']).toEqual([expect.objectContaining({ upstream: 'test', op: 'op', attempt: 1, reason: 'backoff requested' })]);
  });

  it('an infinite BackOffError fails its call without pausing the queue', async () => {
    const { gw } = gateway({ concurrency: 1, per_second: 1000 });
    const calls = new Calls();
    const a = gw.call('op', calls.fn('a'));
    const b = gw.call('op', calls.fn('b'));
    await settle();
    calls.finish('a', new BackOffError('daily cap', Number.POSITIVE_INFINITY));
    await expect(a).rejects.toBeInstanceOf(BackOffError);
    await settle();
    expect(calls.started).toEqual(['a', 'b']);
    calls.finish('b');
    await expect(b).resolves.toBe('b');
  });

  it('retries take a fresh queue slot behind calls already waiting, and count against the rate', async () => {
    const { gw } = gateway({ concurrency: 1, per_second: 3 });
    const calls = new Calls();
    const a = gw.call('op', calls.fn('a'));
    const b = gw.call('op', calls.fn('b'));
    await settle();
    calls.finish('a', new RetryableError('reset'));
    await settle();
    expect(calls.started).toEqual(['a', 'b']); // b ran before a's retry
    calls.finish('b');
    await settle();
    expect(calls.started).toEqual(['a', 'b', 'a']); // third start in this second: the cap is reached
    const c = gw.call('op', calls.fn('c'));
    calls.finish('a');
    await settle();
    expect(calls.started).toEqual(['a', 'b', 'a']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.started).toEqual(['a', 'b', 'a', 'c']);
    calls.finish('c');
    await expect(Promise.all([a, b, c])).resolves.toEqual(['a', 'b', 'c']);
  });

  it('emits one request event per attempt with its outcome, queue events, and never retries permanent errors', async () => {
    const { gw, seen } = gateway({ concurrency: 2, per_second: 1000 });
    const calls = new Calls();
    const a = gw.call('get', calls.fn('a'));
    const p = gw.call('put', calls.fn('p'));
    await settle();
    calls.finish('a', new RetryableError('reset'));
    calls.finish('p', new PermanentError('bad'));
    await expect(p).rejects.toBeInstanceOf(PermanentError);
    await settle();
    calls.finish('a');
    await expect(a).resolves.toBe('a');
    expect(calls.started).toEqual(['a', 'p', 'a']);
    expect(seen['upstream:request']?.map((e) => [e.op, e.ok, e.errorKind])).toEqual([
      ['get', false, 'RetryableError'],
      ['put', false, 'PermanentError'],
      ['get', true, undefined],
    ]);
    expect(seen['upstream:backoff']?.map((e) => [e.op, e.reason])).toEqual([['get', 'transient error']]);
    expect(seen['upstream:queue']?.length).toBeGreaterThan(0);
    expect(seen['upstream:queue']?.every((e) => e.upstream === 'test')).toBe(true);
  });

  it("callThen frees the slot before its finish runs, and retries a failed finish with a new attempt", async () => {
    const { gw, seen } = gateway({ concurrency: 1, per_second: 1000 });
    const calls = new Calls();
    const finishes = new Calls();
    const a = gw.callThen('download', calls.fn('a'), finishes.fn('write a'));
    const b = gw.call('get', calls.fn('b'));
    await settle();
    calls.finish('a');
    await settle();
    // a's finish is running, and b already has the only slot.
    expect([calls.started, finishes.started]).toEqual([['a', 'b'], ['write a']]);
    finishes.finish('write a', new RetryableError('disk hiccup'));
    await settle();
    calls.finish('b');
    await settle();
    expect(calls.started).toEqual(['a', 'b', 'a']); // the retry is a new attempt, in a slot of its own
    calls.finish('a');
    await settle();
    finishes.finish('write a');
    await expect(Promise.all([a, b])).resolves.toEqual(['write a', 'b']);
    expect(seen['upstream:request']?.map((e) => [e.op, e.ok])).toEqual([
      ['download', true],
      ['get', true],
      ['download', true],
    ]);
    expect(seen['upstream:backoff']?.map((e) => [e.op, e.reason])).toEqual([['download', 'transient error']]);
  });

  it('an aborted signal rejects a queued call without running it', async () => {
    const { gw } = gateway({ concurrency: 1, per_second: 1000 });
    const calls = new Calls();
    const a = gw.call('op', calls.fn('a'));
    const ac = new AbortController();
    const b = gw.call('op', calls.fn('b'), { signal: ac.signal });
    await settle();
    ac.abort(new Error('stop'));
    await expect(b).rejects.toThrow('stop');
    calls.finish('a');
    await a;
    await settle();
    expect(calls.started).toEqual(['a']);
  });
});
