import { type Kysely, sql } from 'kysely';

/**
 * One vocabulary for what did not go through (see src/core/reasons.ts): order requests get the states
 * `capped` (held back by a daily cap), `cancelled` and `refunded` (the vendor's word, not a koppel fault), and
 * every reason a code and a next action beside its message. Runs count warnings apart from outcomes (an item
 * synced without its image is created, with a warning), and a rejection row says which of the two it is.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table order_requests drop constraint if exists order_requests_status_check`.execute(db);
  await sql`alter table order_requests add constraint order_requests_status_check check (status in ('pending', 'waiting', 'capped', 'ordering', 'ordered', 'completed', 'failed', 'needs-attention', 'cancelled', 'refunded'))`.execute(db);
  await db.schema.alterTable('order_requests').addColumn('reason_code', 'text').execute();
  await db.schema.alterTable('order_requests').addColumn('next_action', 'text').execute();
  await db.schema.alterTable('runs').addColumn('warnings', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .alterTable('rejections')
    .addColumn('severity', 'text', (c) => c.notNull().defaultTo('rejected').check(sql`severity in ('rejected', 'warning')`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('rejections').dropColumn('severity').execute();
  await db.schema.alterTable('runs').dropColumn('warnings').execute();
  await db.schema.alterTable('order_requests').dropColumn('next_action').execute();
  await db.schema.alterTable('order_requests').dropColumn('reason_code').execute();
  await sql`alter table order_requests drop constraint if exists order_requests_status_check`.execute(db);
  await sql`alter table order_requests add constraint order_requests_status_check check (status in ('pending', 'waiting', 'ordering', 'ordered', 'completed', 'failed', 'needs-attention'))`.execute(db);
}
