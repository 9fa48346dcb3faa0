import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assetRelativePath } from '../../src/pipelines/ambita-mirror/mapping.js';
import { planOrder } from '../../src/pipelines/ambita-mirror/reconcile.js';
import type { AmbitaOrderCollection } from '../../src/upstreams/ambita/wire.js';

/** A cancelled order with one asset koppel never recorded (a kill fell between the file's rename and its row). */
function cancelledOrder(): AmbitaOrderCollection {
  const asset = { id: 'a-1', name: 'Reguleringsplan.pdf', filename: 'Reguleringsplan.pdf', downloadUrl: 'https://example.invalid/a-1', assetStatus: 'OK', productCategory: 'plan' };
  return { id: 77, status: 'CANCELLED', reference: 'r', dateOrdered: '2026-12-01T10:00:00', dateStatus: '2026-12-02T10:00:00', orders: [{ id: 5, assets: [asset], orderLines: [] }] } as unknown as AmbitaOrderCollection;
}

describe('planOrder on a cancelled order', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ambita-orphan-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('removes a file under an asset path that has no row (left by a kill between rename and row)', async () => {
    const path = assetRelativePath('ambita', 77, { assetId: 'a-1', name: 'Reguleringsplan.pdf', filename: 'Reguleringsplan.pdf' });
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), 'pdf');
    const plan = await planOrder(cancelledOrder(), new Map(), 'ambita', { root, hash: false });
    expect(plan.removals).toMatchObject([{ assetId: 'a-1', path, state: 'removed', reason: 'order-cancelled', hadFile: true }]);
    expect(plan.unchanged).toBe(0);
  });

  it('plans nothing for an asset with neither a row nor a file', async () => {
    const plan = await planOrder(cancelledOrder(), new Map(), 'ambita', { root, hash: false });
    expect(plan.removals).toEqual([]);
    expect(plan.unchanged).toBe(1);
  });
});
