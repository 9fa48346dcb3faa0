import { afterEach, describe, expect, it } from 'vitest';
import { formatRunResult } from '../../src/cli/print-result.js';
import { CredentialError } from '../../src/core/errors.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { createWorld, requestStates, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe.each(testDatabaseKinds)('planviewer-mirror with refused credentials on %s', (kind) => {
  it('stops at the first refusal (one call, not one per request) and names the keys to check in the summary', async () => {
    w = await createWorld(kind, { upstream: { secret: 'not-the-secret' } });
    const ids = [await w.enqueue({ address: '6512EX 2', product: 'vraagprijsrapport' }), await w.enqueue({ address: '6811LW 61', product: 'vraagprijsrapport' })];
    const result = await w.run();
    expect(result.outcome).toBe('failed');
    expect(result.error).toBeInstanceOf(CredentialError);
    expect(w.sandbox.requests).toHaveLength(1);
    const summary = formatRunResult(result);
    expect(summary).toContain('credentials refused by planviewer: check upstreams.planviewer.access_key, upstreams.planviewer.secret');
    expect(summary).not.toContain('not-the-secret');
    // Nothing was ordered; the requests wait for the next run with working credentials.
    const states = await requestStates(w);
    expect(ids.map((id) => states.get(id)!.status)).toEqual(['pending', 'pending']);
  });
});
