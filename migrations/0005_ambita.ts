import { type Kysely, sql } from 'kysely';

/**
 * The Ambita mirror: the product catalog per municipality, the orders koppel follows, one row per delivered
 * asset (keyed by Ambita's unique asset id, so a file is never fetched twice), and received push messages
 * (a durable queue: a push acknowledged just before a crash is still handled by the next run).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ambita_products')
    .addColumn('municipality', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('description', 'text')
    .addColumn('input_type', 'text')
    .addColumn('product_type', 'text')
    .addColumn('delivery', 'text')
    .addColumn('status', 'text')
    .addColumn('price_net', 'double precision')
    .addColumn('price_vat', 'double precision')
    .addColumn('children', 'jsonb')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('ambita_products_pk', ['municipality', 'code'])
    .execute();

  await db.schema
    .createTable('ambita_orders')
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('order_id', 'bigint', (c) => c.notNull())
    .addColumn('request_id', 'bigint', (c) => c.references('order_requests.id'))
    .addColumn('technical_reference', 'text')
    .addColumn('reference', 'text')
    .addColumn('status', 'text')
    .addColumn('price_net', 'double precision')
    .addColumn('price_vat', 'double precision')
    .addColumn('date_ordered', 'timestamptz')
    .addColumn('date_status', 'timestamptz')
    .addColumn('tracked_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('checked_at', 'timestamptz')
    .addColumn('files_removed_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addPrimaryKeyConstraint('ambita_orders_pk', ['pipeline', 'order_id'])
    .execute();

  await db.schema
    .createTable('ambita_assets')
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'bigint', (c) => c.notNull())
    .addColumn('supplier_order_id', 'bigint')
    .addColumn('order_line_id', 'bigint')
    .addColumn('name', 'text')
    .addColumn('filename', 'text')
    .addColumn('product_category', 'text')
    .addColumn('asset_status', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('stored', 'deleted', 'removed')`))
    .addColumn('path', 'text')
    .addColumn('size', 'bigint')
    .addColumn('sha256', 'text')
    .addColumn('downloaded_at', 'timestamptz')
    .addColumn('removed_at', 'timestamptz')
    .addColumn('removed_reason', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('ambita_assets_pk', ['pipeline', 'asset_id'])
    .execute();
  await db.schema.createIndex('ambita_assets_order').on('ambita_assets').columns(['pipeline', 'order_id']).execute();

  await db.schema
    .createTable('ambita_pushes')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('order_id', 'bigint', (c) => c.notNull())
    .addColumn('push_status', 'text')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('handled_at', 'timestamptz')
    .addColumn('handled_run_id', 'bigint')
    .execute();
  await db.schema.createIndex('ambita_pushes_pending').on('ambita_pushes').columns(['pipeline', 'handled_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['ambita_pushes', 'ambita_assets', 'ambita_orders', 'ambita_products']) await db.schema.dropTable(table).execute();
}
