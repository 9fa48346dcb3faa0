import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { DB } from '../src/db/schema.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated PGlite folder; tests copy it instead of opening and migrating a new one each time. */
    pgliteTemplate: string;
    /** Admin URL of the real Postgres server and a migrated template database; null when no server is reachable. */
    pgTemplate: { adminUrl: string; template: string } | null;
  }
}

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Builds one migrated template database per test run; each test file clones it (graphile-worker's approach),
 * so files run in parallel on their own databases. Without DATABASE_URL the local default server is tried;
 * when it is unreachable the server tests are skipped (PGlite tests still run).
 */
export default async function setup(project: TestProject) {
  const pgliteTemplate = await mkdtemp(join(tmpdir(), 'koppel-pglite-tpl-'));
  const embedded = await openDatabase({ url: '', pglite_dir: pgliteTemplate, pool_size: 1 });
  await migrateToLatest(embedded.kysely);
  await embedded.close();
  project.provide('pgliteTemplate', pgliteTemplate);
  const removeTemplate = () => rm(pgliteTemplate, { recursive: true, force: true });

  const adminUrl = process.env.DATABASE_URL || DEFAULT_URL;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (err) {
    if (process.env.DATABASE_URL) throw new Error(`DATABASE_URL is set but unreachable: ${(err as Error).message}`);
    console.warn(`[koppel tests] no Postgres server at ${DEFAULT_URL}: server tests are skipped`);
    project.provide('pgTemplate', null);
    return removeTemplate;
  }
  const template = `koppel_tpl_${process.pid}`;
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  const url = new URL(adminUrl);
  url.pathname = `/${template}`;
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 1 }) }) });
  await migrateToLatest(db);
  await db.destroy();
  project.provide('pgTemplate', { adminUrl, template });
  return async () => {
    await admin.query(`drop database if exists ${template} with (force)`);
    await admin.end();
    await removeTemplate();
  };
}
