import { type Kysely, sql } from 'kysely';

/** Mirror of the company fleet as Maasplassen reports it (their boat id ↔ our external id). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('maasplassen_fleet')
    .addColumn('company_id', 'integer', (c) => c.notNull())
    .addColumn('boat_id', 'text', (c) => c.notNull())
    .addColumn('ext_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text')
    .addColumn('visible', 'boolean', (c) => c.notNull())
    .addColumn('upstream_updated_at', 'text')
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('maasplassen_fleet_pk', ['company_id', 'boat_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('maasplassen_fleet').execute();
}
