import type { Kysely } from 'kysely';

/**
 * `checkpoints` becomes `pipeline_marks`: "checkpoint" means item state and order intents (what lets a killed
 * run resume), while this table holds a few named values a pipeline keeps between runs (when its last complete
 * sweep started). One word per idea; the rows are kept as they are.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('checkpoints').renameTo('pipeline_marks').execute();
  await db.schema.alterTable('pipeline_marks').renameConstraint('checkpoints_pk', 'pipeline_marks_pk').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('pipeline_marks').renameConstraint('pipeline_marks_pk', 'checkpoints_pk').execute();
  await db.schema.alterTable('pipeline_marks').renameTo('checkpoints').execute();
}
