import { type Kysely, sql } from 'kysely';

/**
 * The order-request queue every ordering pipeline shares (Planviewer, Ambita), its money-safety records, and
 * the Planviewer job and file index. Constraints, not code, carry the promises: one placement per request
 * (primary key), one request per upstream order id, one file per job.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('order_requests')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('upstream', 'text', (c) => c.notNull().check(sql`upstream in ('planviewer', 'ambita')`))
    .addColumn('pipeline', 'text')
    .addColumn('request', 'jsonb', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`status in ('pending', 'waiting', 'ordering', 'ordered', 'completed', 'failed', 'needs-attention')`),
    )
    .addColumn('reason', 'text')
    .addColumn('details', 'jsonb')
    .addColumn('not_before', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('claimed_by', 'text')
    .addColumn('intent_recorded_at', 'timestamptz')
    .addColumn('upstream_order_id', 'text')
    .addColumn('ordered_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('order_requests_queue').on('order_requests').columns(['upstream', 'status', 'id']).execute();
  await db.schema
    .createIndex('order_requests_idempotency')
    .on('order_requests')
    .columns(['upstream', 'idempotency_key'])
    .unique()
    .where(sql.ref('idempotency_key'), 'is not', null)
    .execute();

  // One row per request that koppel ever decided to order: the primary key makes a second order impossible.
  await db.schema
    .createTable('order_placements')
    .addColumn('request_id', 'bigint', (c) => c.primaryKey().references('order_requests.id'))
    .addColumn('upstream', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('order_day', 'date', (c) => c.notNull())
    .addColumn('intent_recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('upstream_order_id', 'text')
    .addColumn('placed_at', 'timestamptz')
    .addUniqueConstraint('order_placements_upstream_order', ['upstream', 'upstream_order_id'])
    .execute();
  await db.schema.createIndex('order_placements_day').on('order_placements').columns(['upstream', 'order_day']).execute();

  // The row every replica locks (FOR UPDATE) before counting today's placements; also "stop ordering today".
  await db.schema
    .createTable('order_days')
    .addColumn('upstream', 'text', (c) => c.notNull())
    .addColumn('order_day', 'date', (c) => c.notNull())
    .addColumn('blocked_reason', 'text')
    .addColumn('blocked_at', 'timestamptz')
    .addPrimaryKeyConstraint('order_days_pk', ['upstream', 'order_day'])
    .execute();

  await db.schema
    .createTable('planviewer_jobs')
    .addColumn('job_uuid', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'bigint', (c) => c.notNull().unique().references('order_requests.id'))
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('location_uuid', 'text')
    .addColumn('location_title', 'text')
    .addColumn('product', 'text', (c) => c.notNull())
    .addColumn('intention_uuid', 'text', (c) => c.notNull())
    .addColumn('intention', 'jsonb')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('initial'))
    .addColumn('progress_current', 'integer')
    .addColumn('progress_total', 'integer')
    .addColumn('waiting', 'jsonb')
    .addColumn('selected_index', 'integer')
    .addColumn('polls', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_polled_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('planviewer_jobs_status').on('planviewer_jobs').columns(['pipeline', 'status']).execute();

  await db.schema
    .createTable('planviewer_files')
    .addColumn('job_uuid', 'text', (c) => c.primaryKey().references('planviewer_jobs.job_uuid'))
    .addColumn('request_id', 'bigint', (c) => c.notNull().references('order_requests.id'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('vendor_filename', 'text')
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text')
    .addColumn('downloaded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // The index a notary's other systems read: one row per downloaded deliverable with where it came from.
  await sql`
    create view planviewer_deliverables as
    select r.id as request_id, r.pipeline, r.status as request_status, j.location_uuid, j.location_title, j.product,
           j.intention_uuid, j.job_uuid, j.status as job_status, f.path, f.vendor_filename, f.size, f.sha256,
           f.content_type, r.created_at as requested_at, r.ordered_at, j.finished_at, f.downloaded_at
    from planviewer_files f
    join planviewer_jobs j on j.job_uuid = f.job_uuid
    join order_requests r on r.id = f.request_id
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop view if exists planviewer_deliverables`.execute(db);
  for (const table of ['planviewer_files', 'planviewer_jobs', 'order_days', 'order_placements', 'order_requests']) {
    await db.schema.dropTable(table).execute();
  }
}
