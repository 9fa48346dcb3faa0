import { type Kysely, sql } from 'kysely';

/**
 * What a run did, in order, for the console's run page: its phases (start, end, how far each got) and its log
 * lines at info level and above, as written (secrets already removed by the logger). Written by the runner's
 * run journal (src/core/run-journal.ts), which keeps at most a bounded number per run and counts the rest on
 * the run's row. Rows go with their run (`on delete cascade`), as rejections do.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'bigint', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    // phase | log
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('phase', 'log')`))
    // A phase's start; a log line's time.
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    // A phase's end; null for a log line.
    .addColumn('ended_at', 'timestamptz')
    // pino's number (30 info, 40 warn, 50 error, 60 fatal); null for a phase.
    .addColumn('level', 'smallint')
    // A phase's name; a log line's message.
    .addColumn('message', 'text', (c) => c.notNull())
    // A phase's last progress ({done, total}); a log line's own fields (bounded).
    .addColumn('fields', 'jsonb')
    .execute();
  await db.schema.createIndex('run_events_run').on('run_events').columns(['run_id', 'id']).execute();
  await db.schema
    .alterTable('runs')
    .addColumn('log_lines_dropped', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('runs')
    .addColumn('phases_dropped', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('phases_dropped').execute();
  await db.schema.alterTable('runs').dropColumn('log_lines_dropped').execute();
  await db.schema.dropTable('run_events').execute();
}
