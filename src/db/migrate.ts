import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileMigrationProvider, type MigrationResultSet, Migrator } from 'kysely';
import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

// Works from src/db (tsx, vitest) and from dist/src/db (built): migrations/ is two folders up from src/.
const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** Applies every pending migration in order; kysely refuses files that arrive out of order. */
export async function migrateToLatest(db: Kysely<DB>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_DIR }),
    migrationTableName: 'koppel_migrations',
    migrationLockTableName: 'koppel_migrations_lock',
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
