import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { ConsoleTables } from './tables.js';

export interface ActionRecord {
  actor: string;
  role: string;
  action: string;
  target: string;
  detail?: Record<string, unknown>;
  outcome: 'done' | 'refused';
  message?: string;
}

/** Records one console action (who, what, on what, and how it ended); `at` is the database's clock. */
export async function recordAction(db: Kysely<DB>, a: ActionRecord): Promise<void> {
  await db
    .withTables<ConsoleTables>()
    .insertInto('console_actions')
    .values({ actor: a.actor, role: a.role, action: a.action, target: a.target, detail: a.detail ? JSON.stringify(a.detail) : null, outcome: a.outcome, message: a.message ?? null })
    .execute();
}

/** The newest actions first, for the actions page. */
export async function recentActions(db: Kysely<DB>, limit = 200) {
  return db.withTables<ConsoleTables>().selectFrom('console_actions').selectAll().orderBy('id', 'desc').limit(limit).execute();
}
