import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { FleetBoat } from '../../upstreams/maasplassen/client.js';

/** Replaces the mirrored fleet of one company with what the service reports now (one transaction). */
export async function mirrorFleet(db: Kysely<DB>, companyId: number, boats: readonly FleetBoat[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('maasplassen_fleet').where('company_id', '=', companyId).execute();
    if (boats.length === 0) return;
    await trx
      .insertInto('maasplassen_fleet')
      .values(
        boats.map((b) => ({
          company_id: companyId,
          boat_id: b.id,
          ext_id: b.extId,
          name: b.name,
          type: b.type,
          visible: b.visible,
          upstream_updated_at: b.updatedAt,
        })),
      )
      .execute();
  });
}

export async function readFleet(db: Kysely<DB>, companyId: number) {
  return db
    .selectFrom('maasplassen_fleet')
    .select(['boat_id', 'ext_id', 'name', 'type', 'visible', 'synced_at'])
    .where('company_id', '=', companyId)
    .orderBy('ext_id')
    .execute();
}
