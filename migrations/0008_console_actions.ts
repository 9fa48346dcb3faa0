import { type Kysely, sql } from 'kysely';

/**
 * Every action taken in the web console (src/console/), with who took it and when, also the refused ones:
 * an operator's answer to a request costs money, so "who said this was ordered?" must have an answer.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('console_actions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    // e.g. order.answer, order.retry, pipeline.run
    .addColumn('action', 'text', (c) => c.notNull())
    // What it acted on: `order_request:12`, `pipeline:pv`.
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb')
    // done | refused (validation said no; the message says why)
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .execute();
  await db.schema.createIndex('console_actions_at').on('console_actions').column('at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('console_actions').execute();
}
