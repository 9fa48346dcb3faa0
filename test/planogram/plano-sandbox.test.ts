import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultItem } from '../../src/upstreams/planogrambuilder/defaults.js';
import { type PlanogramBuilderSandbox, startPlanogramBuilderSandbox } from '../../sandbox/planogrambuilder/server.js';
import { PlanoSandboxState } from '../../sandbox/planogrambuilder/state.js';
import type { MethodName } from '../../src/upstreams/planogrambuilder/wire.js';
import { makeClient } from './plano-fixtures.js';

/** Drives the service logic directly, the way the gRPC handlers do. */
function signedIn(state = new PlanoSandboxState()) {
  const token = String(state.handle('SignIn', { account_id: 'demo-account', username: 'admin', password: 'demo-password' }).access_token);
  const call = (method: MethodName, req: Record<string, unknown> = {}) => state.handle(method, { ...req, access_token: token }) as {
    error: { code: string; message: string };
    [k: string]: unknown;
  };
  return { state, token, call };
}
const code = (r: { error: { code: string } }) => r.error.code;

describe('PlanogramBuilder sandbox: tokens', () => {
  it('issues 43-character tokens and revokes the previous one when the same user signs in again', () => {
    const a = signedIn();
    expect(a.token).toHaveLength(43);
    expect(code(a.call('ListFiles', { start_ind: 0, end_ind: 0 }))).toBe('PAE_OK');
    const b = signedIn(a.state);
    expect(code(a.call('ListFiles', { start_ind: 0, end_ind: 0 }))).toBe('PAE_UNAUTHENTICATED');
    expect(code(b.call('ListFiles', { start_ind: 0, end_ind: 0 }))).toBe('PAE_OK');
  });

  it('expires tokens after their lifetime and answers PAE_UNAUTHENTICATED without acting', () => {
    let now = 0;
    const { call } = signedIn(new PlanoSandboxState({ now: () => now }));
    now = 59 * 60_000;
    expect(code(call('CreateProduct', { product: defaultItem('product', 'A') }))).toBe('PAE_OK');
    now = 60 * 60_000;
    expect(code(call('CreateProduct', { product: defaultItem('product', 'B') }))).toBe('PAE_UNAUTHENTICATED');
    now = 0;
    expect(code(signedIn(new PlanoSandboxState()).call('GetProduct', { reference: 'B' }))).toBe('PAE_NOT_FOUND');
  });

  it('names the method in every message, success included', () => {
    const { call, state } = signedIn();
    expect(call('ListProducts', { start_ind: 0, end_ind: 0 }).error.message).toMatch(/^ListProducts: /);
    expect(call('GetMaterial', { reference: 'x' }).error.message).toMatch(/^GetMaterial: /);
    expect((state.handle('SignIn', { account_id: 'demo-account', username: 'admin', password: 'x' }) as { error: { message: string } }).error.message).toMatch(/^SignIn: /);
  });
});

describe('PlanogramBuilder sandbox: items', () => {
  it('compares references case-insensitively', () => {
    const { call } = signedIn();
    expect(code(call('CreateAccessory', { accessory: defaultItem('accessory', 'ABC') }))).toBe('PAE_OK');
    expect(code(call('CreateAccessory', { accessory: defaultItem('accessory', 'abc') }))).toBe('PAE_ALREADY_EXISTS');
    expect((call('GetAccessory', { reference: 'aBc' }).accessory as { reference: string }).reference).toBe('ABC');
    expect(code(call('DeleteAccessory', { reference: 'abc' }))).toBe('PAE_OK');
    expect(code(call('DeleteAccessory', { reference: 'abc' }))).toBe('PAE_NOT_FOUND');
  });

  it('answers OUT_OF_RANGE for numbers and INVALID_ARGUMENT for strings', () => {
    const { call } = signedIn();
    const p = (extra: Record<string, unknown>) => ({ product: { ...defaultItem('product', 'P1'), ...extra } });
    expect(code(call('CreateProduct', p({ facings_deep: 151 })))).toBe('PAE_OUT_OF_RANGE');
    expect(code(call('CreateProduct', p({ width_gap: -10_001 })))).toBe('PAE_OUT_OF_RANGE');
    expect(code(call('CreateProduct', p({ color: '0x1FFFFFFFF' })))).toBe('PAE_INVALID_ARGUMENT');
    expect(code(call('CreateProduct', p({ color: '4294967296' })))).toBe('PAE_OUT_OF_RANGE');
    expect(code(call('CreateProduct', p({ color: 'red' })))).toBe('PAE_INVALID_ARGUMENT');
    expect(code(call('CreateProduct', p({ name: 'x'.repeat(501) })))).toBe('PAE_INVALID_ARGUMENT');
    expect(code(call('CreateProduct', p({ reference: '' })))).toBe('PAE_INVALID_ARGUMENT');
    expect(code(call('CreateProduct', p({ reference: 'A#1' })))).toBe('PAE_INVALID_ARGUMENT');
    expect(code(call('CreateProduct', p({ images: ['a/b.png'] })))).toBe('PAE_INVALID_ARGUMENT');
    expect(code(call('CreateProduct', p({ name: 'x'.repeat(500), facings_deep: 150, color: '0xFFFFFFFF' })))).toBe('PAE_OK');
  });

  it('applies documented defaults for unspecified booleans and keeps the created case on update', () => {
    const { call } = signedIn();
    call('CreateProduct', { product: { ...defaultItem('product', 'Up'), enabled: 'PAB_UNSPECIFIED', collisions: 'PAB_FALSE' } });
    const updated = call('UpdateProduct', { product: { ...defaultItem('product', 'UP'), name: 'new', collisions: 'PAB_UNSPECIFIED' } });
    expect(updated.product).toMatchObject({ reference: 'Up', name: 'new', enabled: 'PAB_TRUE', collisions: 'PAB_TRUE' });
    expect(code(call('UpdateProduct', { product: defaultItem('product', 'missing') }))).toBe('PAE_NOT_FOUND');
  });

  it('lists half-open ranges with -1 and always returns total_size', () => {
    const { call } = signedIn();
    for (const r of ['a', 'b', 'c', 'd', 'e']) call('CreateMaterial', { material: defaultItem('material', r) });
    const refs = (res: Record<string, unknown>) => (res.materials as { reference: string }[]).map((m) => m.reference);
    expect(refs(call('ListMaterials', { start_ind: 1, end_ind: 3 }))).toEqual(['b', 'c']);
    expect(refs(call('ListMaterials', { start_ind: 3, end_ind: -1 }))).toEqual(['d', 'e']);
    const count = call('ListMaterials', { start_ind: 0, end_ind: 0 });
    expect([refs(count), count.total_size]).toEqual([[], 5]);
    expect(code(call('ListMaterials', { start_ind: 0, end_ind: 6 }))).toBe('PAE_OUT_OF_RANGE');
    expect(code(call('ListMaterials', { start_ind: 5, end_ind: -1 }))).toBe('PAE_OUT_OF_RANGE');
    expect(code(call('ListMaterials', { start_ind: 3, end_ind: 2 }))).toBe('PAE_OUT_OF_RANGE');
    expect(code(call('ListFiles', { start_ind: 0, end_ind: -1 }))).toBe('PAE_OK');
  });
});

describe('PlanogramBuilder sandbox: files and refresh', () => {
  it('uploads with replace defaulting to true, refuses replace=false, empty names and empty data', () => {
    const { call } = signedIn();
    const data = Buffer.from('png');
    expect(code(call('UploadFile', { filename: 'A.png', data }))).toBe('PAE_OK');
    expect(code(call('UploadFile', { filename: 'a.PNG', data, replace: 'PAB_UNSPECIFIED' }))).toBe('PAE_OK');
    expect(code(call('UploadFile', { filename: 'a.png', data, replace: 'PAB_FALSE' }))).toBe('PAE_ALREADY_EXISTS');
    expect(code(call('UploadFile', { filename: '', data }))).toBe('PAE_INVALID_ARGUMENT');
    expect(code(call('UploadFile', { filename: 'b.png', data: Buffer.alloc(0) }))).toBe('PAE_INVALID_ARGUMENT');
    expect(code(call('DownloadFile', { filename: 'nope.png' }))).toBe('PAE_NOT_FOUND');
    expect(call('ListFiles', { start_ind: 0, end_ind: -1 }).filenames).toEqual(['A.png']);
    expect(code(call('DeleteFile', { filename: 'a.png' }))).toBe('PAE_OK');
  });
});

describe('PlanogramBuilder sandbox over gRPC', () => {
  let sandbox: PlanogramBuilderSandbox;
  beforeEach(async () => {
    sandbox = await startPlanogramBuilderSandbox();
  });
  afterEach(() => sandbox.close());

  it('leaves items stale after an image upload until Refresh, and Create/Update regenerate', async () => {
    const { client } = makeClient(sandbox);
    await client.call('CreateProduct', { product: { ...defaultItem('product', 'P1'), images: ['p1.png'] } });
    await client.call('CreateMaterial', { material: { ...defaultItem('material', 'M1'), image1: 'P1.PNG' } });
    expect(sandbox.staleItems()).toEqual([]);
    await client.call('UploadFile', { filename: 'p1.png', data: Buffer.from('v1') });
    expect(sandbox.staleItems()).toEqual([{ kind: 'product', reference: 'P1' }, { kind: 'material', reference: 'M1' }]);
    await client.call('RefreshProduct', { reference: 'p1' });
    await client.call('UpdateMaterial', { material: { ...defaultItem('material', 'M1'), image1: 'P1.PNG' } });
    expect(sandbox.staleItems()).toEqual([]);
    expect(sandbox.mutatingCalls()).toBe(5);
    await client.close();
  });

  it('answers RESOURCE_EXHAUSTED with retry-after, which the client waits out', async () => {
    sandbox.faults.set({ rateLimitRate: 0.5, retryAfterSeconds: 0, seed: 3 });
    const { client, events } = makeClient(sandbox);
    const reasons: string[] = [];
    events.on('upstream:backoff', (e) => reasons.push(e.reason));
    for (let i = 0; i < 5; i++) await client.call('CreateProduct', { product: defaultItem('product', `Q${i}`) });
    expect(sandbox.items('product')).toHaveLength(5);
    expect(reasons).toContain('backoff requested');
    await client.close();
  });
});
