import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NotConnectedError, PermanentError, RetryableError } from '../../src/core/errors.js';
import { defaultItem } from '../../src/upstreams/planogrambuilder/defaults.js';
import { type PlanogramBuilderSandbox, startPlanogramBuilderSandbox } from '../../sandbox/planogrambuilder/server.js';
import { makeClient } from './plano-fixtures.js';

let sandbox: PlanogramBuilderSandbox;
beforeEach(async () => {
  sandbox = await startPlanogramBuilderSandbox();
});
afterEach(async () => {
  vi.useRealTimers();
  await sandbox.close();
});

const product = (reference: string, extra: Record<string, unknown> = {}) => ({ ...defaultItem('product', reference), ...extra });

describe('PlanogramBuilderClient.call', () => {
  it('signs in once, creates and reads items case-insensitively, and signs out on release', async () => {
    const { client } = makeClient(sandbox);
    const release = await client.connect();
    const created = await client.call('CreateProduct', { product: product('ABC-1', { name: 'Cola', width: 12.3 }) });
    expect(created.product?.name).toBe('Cola');
    const got = await client.call('GetProduct', { reference: 'abc-1' });
    expect(got.product?.reference).toBe('ABC-1');
    expect(got.product?.width).toBeCloseTo(12.3, 5);
    expect(sandbox.calls().SignIn).toBe(1);
    expect(sandbox.state.activeTokens).toBe(1);
    await release();
    expect(sandbox.calls().SignOut).toBe(1);
    expect(sandbox.state.activeTokens).toBe(0);
    await client.close();
  });

  it('throws vendor errors as typed errors carrying code, method and message', async () => {
    const { client } = makeClient(sandbox);
    await client.call('CreateProduct', { product: product('X1') });
    const dup = await client.call('CreateProduct', { product: product('x1') }, { itemKey: 'product:x1' }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(PermanentError);
    expect(dup).toMatchObject({ code: 'PAE_ALREADY_EXISTS', op: 'CreateProduct', itemKey: 'product:x1' });
    expect((dup as Error).message).toMatch(/CreateProduct.*already exists/);
    const range = await client.call('CreateProduct', { product: product('X2', { width: 20_000 }) }).catch((e: unknown) => e);
    expect(range).toMatchObject({ code: 'PAE_OUT_OF_RANGE' });
    expect(sandbox.calls().CreateProduct).toBe(3); // permanent errors are not retried
    await client.close();
  });

  it('writeItem creates and updates an item, and throws the vendor error of a refused write', async () => {
    const { client } = makeClient(sandbox);
    await client.writeItem('product', 'Create', product('W-1', { name: 'Cola' }), { itemKey: 'product:w-1' });
    await client.writeItem('product', 'Update', product('w-1', { name: 'Cola zero', width: 7.5 }));
    expect(sandbox.items('product')).toMatchObject([{ reference: 'W-1', name: 'Cola zero', width: 7.5 }]);
    const dup = await client.writeItem('product', 'Create', product('w-1'), { itemKey: 'product:w-1' }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(PermanentError);
    expect(dup).toMatchObject({ code: 'PAE_ALREADY_EXISTS', op: 'CreateProduct', itemKey: 'product:w-1' });
    const missing = await client.writeItem('product', 'Update', product('W-2')).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'PAE_NOT_FOUND', op: 'UpdateProduct' });
    await client.close();
  });

  it('refuses bad credentials permanently, with the code SignIn answered', async () => {
    for (const [overrides, code] of [
      [{ password: 'wrong' }, 'PAE_UNAUTHENTICATED'],
      [{ account_id: 'nope' }, 'PAE_NOT_FOUND'],
      [{ username: 'viewer' }, 'PAE_PERMISSION_DENIED'],
    ] as const) {
      const { client } = makeClient(sandbox, overrides);
      const err = await client.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentError);
      expect(err).toMatchObject({ code, op: 'SignIn' });
      await client.close();
    }
    expect(sandbox.calls().SignIn).toBe(3);
  });

  it('signs in again exactly once when the token is revoked under many concurrent calls', async () => {
    const { client } = makeClient(sandbox);
    await client.connect();
    sandbox.revokeTokens();
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.call('CreateProduct', { product: product(`R${i}`) })));
    expect(sandbox.items('product')).toHaveLength(20);
    expect(sandbox.calls().SignIn).toBe(2);
    await client.close();
  });

  it('renews the token before the service expires it, without a failed call', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { client } = makeClient(sandbox);
    await client.call('ListFiles', { start_ind: 0, end_ind: 0 });
    vi.setSystemTime(Date.now() + 51 * 60_000); // past the 50-minute renewal, before the 60-minute expiry
    await client.call('ListFiles', { start_ind: 0, end_ind: 0 });
    expect(sandbox.calls().SignIn).toBe(2);
    expect(sandbox.calls().ListFiles).toBe(2);
    await client.close();
  });

  it('treats PAE_UNAUTHENTICATED after expiry as a reconnect, not a failure', async () => {
    const { client } = makeClient(sandbox);
    await client.connect();
    sandbox.setTokenTtl(0); // every token is expired from now on…
    const err = await client.call('ListFiles', { start_ind: 0, end_ind: 0 }).catch((e: unknown) => e);
    // …so the one reconnect the policy allows also fails, and the caller sees the session error.
    expect(err).toBeInstanceOf(NotConnectedError);
    expect(sandbox.calls().SignIn).toBe(2);
    sandbox.setTokenTtl(3_600_000);
    await expect(client.call('ListFiles', { start_ind: 0, end_ind: 0 })).resolves.toMatchObject({ total_size: 0 });
    await client.close();
  });

  it('retries transient transport failures through the core policy', async () => {
    sandbox.faults.set({ errorRate: 0.3, seed: 7 });
    const { client } = makeClient(sandbox);
    await Promise.all(Array.from({ length: 30 }, (_, i) => client.call('CreateProduct', { product: product(`T${i}`) })));
    expect(sandbox.items('product')).toHaveLength(30);
    expect(sandbox.calls().CreateProduct).toBeGreaterThan(30);
    await client.close();
  });

  it('puts a deadline on every call (DEADLINE_EXCEEDED is retryable)', async () => {
    sandbox.faults.set({ latencyMs: 400 });
    const { client } = makeClient(sandbox, { timeout_ms: 100, retry: { max_attempts: 1 } });
    const err = await client.call('SignOut', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err).toMatchObject({ code: 'DEADLINE_EXCEEDED', op: 'SignIn' });
    await client.close();
  });

  it('uploads and downloads a 5 MiB file and refuses a larger one before sending', async () => {
    const { client } = makeClient(sandbox);
    const data = Buffer.alloc(5 * 1024 * 1024, 7);
    await client.call('UploadFile', { filename: 'Big.png', data });
    const back = await client.call('DownloadFile', { filename: 'big.PNG' });
    expect(Buffer.from(back.data).equals(data)).toBe(true);
    const err = await client.call('UploadFile', { filename: 'huge.png', data: Buffer.alloc(data.length + 1) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(sandbox.calls().UploadFile).toBe(1);
    await client.close();
  });
});

describe('PlanogramBuilderClient.list', () => {
  it('reads every item in pages bounded by total_size', async () => {
    const { client } = makeClient(sandbox, { page_size: 7 });
    for (let i = 0; i < 23; i++) await client.call('CreateMaterial', { material: { ...defaultItem('material', `M${i}`) } });
    const seen: string[] = [];
    for await (const m of client.list('material')) seen.push(m.reference);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => `M${i}`));
    expect(sandbox.calls().ListMaterials).toBe(1 + 4); // the count, then 7+7+7+2
    const none: string[] = [];
    for await (const f of client.list('file')) none.push(f);
    expect(none).toEqual([]);
    await client.close();
  });

  it('passes each page through the projection as it arrives, and yields the projections in page order', async () => {
    const { client } = makeClient(sandbox, { page_size: 7 });
    for (let i = 0; i < 16; i++) await client.call('CreateMaterial', { material: { ...defaultItem('material', `M${i}`) } });
    const pages: string[][] = [];
    for await (const page of client.listPages('material', (page) => Array.from({ length: page.length }, (_, i) => page.item(i).reference.toLowerCase()))) pages.push(page);
    expect(pages).toEqual([
      ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6'],
      ['m7', 'm8', 'm9', 'm10', 'm11', 'm12', 'm13'],
      ['m14', 'm15'],
    ]);
    await client.close();
  });
});
