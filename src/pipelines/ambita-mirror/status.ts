import type { Kysely } from 'kysely';
import { orderRequestStatus } from '../../orders/index.js';
import type { DB } from '../../db/schema.js';
import type { AmbitaMirrorConfig } from './config.js';
import * as why from './reasons.js';

/** What `koppel status` shows for an ambita-mirror pipeline: its order requests, orders by status, files by state, pending work. */
export async function mirrorStatus(db: Kysely<DB>, pipeline: string, config: AmbitaMirrorConfig): Promise<Record<string, unknown>> {
  const orders = await db.selectFrom('ambita_orders').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('pipeline', '=', pipeline).groupBy('status').execute();
  const assets = await db.selectFrom('ambita_assets').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).where('pipeline', '=', pipeline).groupBy('state').execute();
  const pushes = await db.selectFrom('ambita_pushes').select((eb) => eb.fn.countAll<number>().as('n')).where('pipeline', '=', pipeline).where('handled_at', 'is', null).executeTakeFirst();
  const errors = await db.selectFrom('ambita_orders').select(['order_id', 'last_error']).where('pipeline', '=', pipeline).where('last_error', 'is not', null).limit(10).execute();
  const requests = await orderRequestStatus(db, {
    upstream: 'ambita',
    pipeline,
    dailyCap: config.daily_order_cap,
    capKey: why.capKey(pipeline),
    timeZone: config.time_zone,
    vendorCap: why.vendorCapNote,
    describe: why.describeRequest,
  });
  return {
    ...requests,
    orders: Object.fromEntries(orders.map((r) => [r.status ?? 'unread', Number(r.n)])),
    files: Object.fromEntries(assets.map((r) => [r.state, Number(r.n)])),
    pending_pushes: Number(pushes?.n ?? 0),
    order_errors: errors.map((e) => ({ order: Number(e.order_id), error: e.last_error })),
  };
}
