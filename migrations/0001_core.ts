import { type Kysely, sql } from 'kysely';

/** Runs, per-item sync state, rejected items and named checkpoints: what every pipeline shares. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('dry_run', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('full_sync', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('ended_at', 'timestamptz')
    .addColumn('seen', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rejected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('runs_pipeline_started').on('runs').columns(['pipeline', 'started_at']).execute();

  await db.schema
    .createTable('item_state')
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('item_key', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('remote_id', 'text')
    .addColumn('data', 'jsonb')
    .addColumn('last_run_id', 'bigint')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('item_state_pk', ['pipeline', 'item_key'])
    .execute();

  await db.schema
    .createTable('rejections')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'bigint', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('item_key', 'text')
    .addColumn('source', 'text')
    .addColumn('line', 'integer')
    .addColumn('field', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('value', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('rejections_run').on('rejections').column('run_id').execute();

  await db.schema
    .createTable('checkpoints')
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('checkpoints_pk', ['pipeline', 'name'])
    .execute();

  // One row per pipeline and cron tick: the first replica to claim a tick runs it, the others skip.
  await db.schema
    .createTable('schedule_ticks')
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('tick', 'timestamptz', (c) => c.notNull())
    .addColumn('claimed_by', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('schedule_ticks_pk', ['pipeline', 'tick'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['schedule_ticks', 'checkpoints', 'rejections', 'item_state', 'runs']) await db.schema.dropTable(table).execute();
}
