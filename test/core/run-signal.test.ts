import { describe, expect, it } from 'vitest';
import { runIdOf, startRunSignal } from '../../src/core/run-signal.js';

describe('startRunSignal', () => {
  it('names its run from start to end, and no other signal names one', () => {
    const shutdown = new AbortController();
    expect(runIdOf(shutdown.signal)).toBeUndefined();
    expect(runIdOf(undefined)).toBeUndefined();
    const run = startRunSignal(shutdown.signal, 7);
    const other = startRunSignal(shutdown.signal, 8);
    expect([runIdOf(run.signal), runIdOf(other.signal), runIdOf(shutdown.signal)]).toEqual([7, 8, undefined]);
    run.end();
    expect([runIdOf(run.signal), runIdOf(other.signal)]).toEqual([undefined, 8]);
    other.end();
  });

  it("aborts with the process's signal, and its reason, while the run lasts", () => {
    const shutdown = new AbortController();
    const run = startRunSignal(shutdown.signal, 1);
    const ended = startRunSignal(shutdown.signal, 2);
    ended.end();
    const reason = new Error('shutdown grace period over');
    shutdown.abort(reason);
    expect(run.signal.aborted).toBe(true);
    expect(run.signal.reason).toBe(reason);
    expect(ended.signal.aborted).toBe(false); // its run is over: nothing listens to it any more
    expect(startRunSignal(shutdown.signal, 3).signal.aborted).toBe(true); // a run started after the abort
  });
});
