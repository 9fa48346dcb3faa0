import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { enqueueOrderRequest } from '../src/orders/index.js';
import type { DemoStep } from './demo-env.js';

const PIPELINE = 'demo-ambita';

/**
 * One Ambita order through its life in the sandbox: queued, placed, in progress, finished (files delivered on
 * the order lines), then Ambita deletes one file and adds another after finishing. Each step is followed by a
 * run, as a push message would trigger one in the daemon.
 */
export const ambitaMirrorDemo: DemoStep = async (env) => {
  const sandbox = env.sandboxes.ambita!;
  const c = sandbox.credentials;
  const raw = {
    upstreams: { ambita: { base_url: sandbox.url, client_id: c.client_id, client_secret: c.client_secret, username: c.username, password: c.password } },
    pipelines: [{ name: PIPELINE, type: 'ambita-mirror', municipalities: ['9999'], sweep_interval_minutes: 0 }],
  };
  return env.withApp(raw, async (app) => {
    const db = app.db.kysely;
    // The sandbox starts empty each time: forget the orders a previous demo run followed (they no longer exist).
    await db.deleteFrom('ambita_assets').where('pipeline', '=', PIPELINE).execute();
    await db.deleteFrom('ambita_pushes').where('pipeline', '=', PIPELINE).execute();
    await db.deleteFrom('ambita_orders').where('pipeline', '=', PIPELINE).execute();
    await rm(join(app.config.storage.root, 'ambita'), { recursive: true, force: true });

    const { request } = await enqueueOrderRequest(db, {
      upstream: 'ambita',
      pipeline: PIPELINE,
      request: { products: ['WI99990006'], orderData: { address: 'Infoveien 1, 9999 Infoland', cadastre: '9999-1-1-0-0' }, reference: 'demo-case-1' },
    });
    const lines = [`ambita-mirror (one order through its lifecycle; files in ${app.config.storage.root}/ambita)`];
    const step = async (label: string) => {
      const r = await app.runner.run(PIPELINE);
      const s = r.plan?.summary ?? {};
      lines.push(`  ${label.padEnd(44)} files: +${s.downloads ?? 0} -${s.deletions ?? 0} =${s.unchanged ?? 0} → ${r.outcome}`);
    };
    await step(`request #${request.id} queued; run 1 places the order`);
    const order = await env.sandboxCall('ambitaPlacedOrder', String(request.id));
    if (!order) return [...lines, '  error: the order was not placed'];
    await env.sandboxCall('ambitaAdvance', order.id);
    await step(`order ${order.id} in progress`);
    await env.sandboxCall('ambitaFinish', order.id);
    await step('finished: one file per order line');
    // Its files exist once finished: ask again for the one to delete.
    const doomed = (await env.sandboxCall('ambitaPlacedOrder', String(request.id)))?.secondLineAssetId;
    if (!doomed) return [...lines, '  error: the finished order has no file on its second line'];
    await env.sandboxCall('ambitaDeleteAsset', doomed);
    await env.sandboxCall('ambitaAddAsset', order.id, 'Tilleggsdokument.pdf');
    await step('one file DELETED, one added after FINISHED');
    await step('nothing new: a re-run changes nothing');

    const rows = await db.selectFrom('ambita_assets').select(['asset_id', 'state', 'path', 'size', 'removed_reason']).where('pipeline', '=', PIPELINE).orderBy('path').execute();
    for (const r of rows) {
      lines.push(`  ${r.state.padEnd(8)} ${r.path}${r.state === 'stored' ? ` (${r.size} bytes)` : ` (${r.removed_reason})`}`);
    }
    const catalog = await db.selectFrom('ambita_products').select((eb) => eb.fn.countAll<number>().as('n')).where('municipality', '=', '9999').executeTakeFirst();
    lines.push(`  catalog of municipality 9999: ${Number(catalog?.n ?? 0)} products in ambita_products`);
    return lines;
  });
};
