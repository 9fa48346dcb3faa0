/** What the orders, money and files pages read. Read-only: every change goes through order-actions.ts. */
import { type Kysely, sql } from 'kysely';
import { REQUEST_STATES } from '../core/reasons.js';
import type { DB } from '../db/schema.js';
import { orderDay } from '../orders/order-day.js';
import type { OrderDayMark } from './charts.js';

export const ORDER_UPSTREAMS = ['planviewer', 'ambita'] as const;

export interface RequestFilter {
  upstream?: string | undefined;
  state?: string | undefined;
}

export async function countRequestsByState(db: Kysely<DB>) {
  const rows = await db.selectFrom('order_requests').select(['upstream', 'status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['upstream', 'status']).execute();
  return rows.map((r) => ({ upstream: r.upstream as string, state: r.status, n: Number(r.n) }));
}

/** Requests, those that need a person first (needs-attention, waiting), then newest first. */
export async function listRequests(db: Kysely<DB>, f: RequestFilter, limit = 200) {
  let q = db
    .selectFrom('order_requests')
    .select(['id', 'upstream', 'pipeline', 'request', 'status', 'reason', 'reason_code', 'next_action', 'upstream_order_id', 'attempts', 'updated_at']);
  if (f.upstream) q = q.where('upstream', '=', f.upstream as 'planviewer' | 'ambita');
  if (f.state && (REQUEST_STATES as readonly string[]).includes(f.state)) q = q.where('status', '=', f.state);
  return q
    .orderBy(sql`case status when 'needs-attention' then 0 when 'waiting' then 1 else 2 end`)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function findRequest(db: Kysely<DB>, id: number) {
  return db.selectFrom('order_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A Planviewer job of this request that waits for the user to choose (its `locaties`), if any. */
export async function jobsWaitingForUser(db: Kysely<DB>, requestId: number) {
  const rows = await db
    .selectFrom('planviewer_jobs')
    .select(['job_uuid', 'waiting', 'selected_index'])
    .where('request_id', '=', requestId)
    .where('status', '=', 'waiting for user')
    .execute();
  return rows.map((r) => ({
    job: r.job_uuid,
    selected: r.selected_index,
    choices: Object.entries((r.waiting as { locaties?: Record<string, string> } | null)?.locaties ?? {}).map(([index, text]) => ({ index: Number(index), text: String(text) })),
  }));
}

export type WaitingJob = Awaited<ReturnType<typeof jobsWaitingForUser>>[number];

/** Orders placed per day over the last `days` days (oldest first, every day listed), with the vendor's stops. */
export async function orderDays(db: Kysely<DB>, upstream: string, timeZone: string, days = 30, now = new Date()): Promise<OrderDayMark[]> {
  const list = Array.from({ length: days }, (_, i) => orderDay(timeZone, new Date(now.getTime() - (days - 1 - i) * 86_400_000)));
  const placed = await db
    .selectFrom('order_placements')
    .select(['order_day', (eb) => eb.fn.countAll<number>().as('n')])
    .where('upstream', '=', upstream)
    .where('order_day', '>=', list[0]!)
    .groupBy('order_day')
    .execute();
  const blocked = await db.selectFrom('order_days').select(['order_day', 'blocked_reason']).where('upstream', '=', upstream).where('order_day', '>=', list[0]!).execute();
  const dayText = (d: unknown) => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d).slice(0, 10));
  const counts = new Map(placed.map((p) => [dayText(p.order_day), Number(p.n)]));
  const stops = new Map(blocked.filter((b) => b.blocked_reason).map((b) => [dayText(b.order_day), b.blocked_reason]));
  return list.map((day) => ({ day, placed: counts.get(day) ?? 0, vendorBlocked: stops.get(day) ?? null }));
}

export interface MirroredFile {
  pipeline: string;
  /** The order request it came from, when there is one. */
  requestId: number | null;
  /** The vendor's job or order id. */
  vendorRef: string;
  name: string;
  path: string;
  size: number;
  sha256: string;
  at: Date | null;
}

/** Files on disk, newest first, from every pipeline that mirrors deliverables. */
export async function listFiles(db: Kysely<DB>, f: { requestId?: number | undefined }, limit = 500): Promise<MirroredFile[]> {
  let pv = db
    .selectFrom('planviewer_files as f')
    .innerJoin('planviewer_jobs as j', 'j.job_uuid', 'f.job_uuid')
    .select(['j.pipeline', 'f.request_id', 'f.job_uuid', 'f.vendor_filename', 'f.path', 'f.size', 'f.sha256', 'f.downloaded_at']);
  if (f.requestId !== undefined) pv = pv.where('f.request_id', '=', f.requestId);
  let am = db
    .selectFrom('ambita_assets as a')
    .leftJoin('ambita_orders as o', (j) => j.onRef('o.pipeline', '=', 'a.pipeline').onRef('o.order_id', '=', 'a.order_id'))
    .select(['a.pipeline', 'o.request_id', 'a.order_id', 'a.filename', 'a.name', 'a.path', 'a.size', 'a.sha256', 'a.downloaded_at'])
    .where('a.state', '=', 'stored')
    .where('a.path', 'is not', null);
  if (f.requestId !== undefined) am = am.where('o.request_id', '=', f.requestId);
  const [pvRows, amRows] = await Promise.all([pv.orderBy('f.downloaded_at', 'desc').limit(limit).execute(), am.orderBy('a.downloaded_at', 'desc').limit(limit).execute()]);
  const files: MirroredFile[] = [
    ...pvRows.map((r) => ({ pipeline: r.pipeline, requestId: Number(r.request_id), vendorRef: r.job_uuid, name: r.vendor_filename ?? r.path, path: r.path, size: Number(r.size), sha256: r.sha256, at: asDate(r.downloaded_at) })),
    ...amRows.map((r) => ({
      pipeline: r.pipeline,
      requestId: r.request_id === null ? null : Number(r.request_id),
      vendorRef: String(r.order_id),
      name: r.filename ?? r.name ?? r.path!,
      path: r.path!,
      size: Number(r.size ?? 0),
      sha256: r.sha256 ?? '',
      at: r.downloaded_at,
    })),
  ];
  return files.sort((a, b) => (b.at?.getTime() ?? 0) - (a.at?.getTime() ?? 0)).slice(0, limit);
}

/** Whether `path` is a file koppel recorded as mirrored: the download route serves nothing else. */
export async function isMirroredPath(db: Kysely<DB>, path: string): Promise<boolean> {
  const pv = await db.selectFrom('planviewer_files').select('path').where('path', '=', path).executeTakeFirst();
  if (pv) return true;
  const am = await db.selectFrom('ambita_assets').select('path').where('path', '=', path).where('state', '=', 'stored').executeTakeFirst();
  return am !== undefined;
}

/** Generated<Timestamp> columns select as their ColumnType in kysely's types; at run time they are Dates. */
export const asDate = (v: unknown): Date | null => (v instanceof Date ? v : v === null || v === undefined ? null : new Date(String(v)));
