/**
 * Row types of the maasplassen-availability pipeline's own table (created by migrations/0002_maasplassen_fleet.ts),
 * as kysely sees it. The core's `DB` (src/db/schema.ts) lists only the tables every pipeline shares; each pipeline adds its own here, by
 * declaration merging, so the core names no pipeline table and every `Kysely<DB>` handle still reaches them.
 */
import type { Generated } from 'kysely';
import type { Timestamp } from '../../db/schema.js';

export interface MaasplassenFleetTable {
  company_id: number;
  boat_id: string;
  ext_id: string | null;
  name: string;
  type: string | null;
  visible: boolean;
  upstream_updated_at: string | null;
  synced_at: Generated<Timestamp>;
}

declare module '../../db/schema.js' {
  interface DB {
    maasplassen_fleet: MaasplassenFleetTable;
  }
}
