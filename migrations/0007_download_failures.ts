import { type Kysely, sql } from 'kysely';

/**
 * Why a deliverable is not on disk, per pipeline and item: a refusal that stands until the config changes
 * (larger than `max_download_bytes`) or the last transient failure (retried by the next run). Shown by `status`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('download_failures')
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('item_key', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('permanent', 'boolean', (c) => c.notNull())
    // For a size refusal: the bytes announced or received, and the cap in force when it was refused.
    .addColumn('bytes', 'bigint')
    .addColumn('limit_bytes', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('failed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('download_failures_pk', ['pipeline', 'item_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('download_failures').execute();
}
