import { type Kysely, sql } from 'kysely';

/**
 * The order queue's upstream is data: 0004 listed the ordering upstreams in a CHECK on
 * `order_requests.upstream`, so adding one meant editing a constraint. The ordering pipelines that exist are
 * the ones that take requests; the `koppel order <upstream>` commands check a request is theirs. Also records
 * who acted on a request (queued, resolved, retried it) or chose for a job by hand: the web console names its
 * user; the CLI leaves it null.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table order_requests drop constraint if exists order_requests_upstream_check`.execute(db);
  await db.schema.alterTable('order_requests').addColumn('acted_by', 'text').execute();
  await db.schema.alterTable('planviewer_jobs').addColumn('selected_by', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('planviewer_jobs').dropColumn('selected_by').execute();
  await db.schema.alterTable('order_requests').dropColumn('acted_by').execute();
  await sql`alter table order_requests add constraint order_requests_upstream_check check (upstream in ('planviewer', 'ambita'))`.execute(db);
}
