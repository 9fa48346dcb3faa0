import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely';
import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

// Works from src/db (tsx, vitest) and from dist/src/db (built): migrations/ sits beside src/.
const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/**
 * Loads `migrations/NNNN_name.{ts,js}`. Like kysely's FileMigrationProvider, but the import happens in our
 * own module so that test runners and tsx can load the TypeScript files.
 */
class MigrationFolder implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}_[\w-]+\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'));
    const migrations: Record<string, Migration> = {};
    for (const file of files.sort()) {
      const mod = (await import(pathToFileURL(path.join(MIGRATIONS_DIR, file)).href)) as Migration;
      migrations[file.replace(/\.(ts|js)$/, '')] = { up: mod.up, down: mod.down };
    }
    return migrations;
  }
}

/** Applies every pending migration in order; kysely refuses a file that arrives out of order. */
export async function migrateToLatest(db: Kysely<DB>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: new MigrationFolder(),
    migrationTableName: 'koppel_migrations',
    migrationLockTableName: 'koppel_migrations_lock',
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
