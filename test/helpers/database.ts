import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { DatabaseConfig } from '../../src/db/config.js';
import { type Database, openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { pollUntil } from '../fixtures/poll.js';

export type TestDatabaseKind = 'postgres' | 'pglite';

/** The kinds available here: PGlite always, the real server when global setup reached it. */
export const testDatabaseKinds: TestDatabaseKind[] = inject('pgTemplate') ? ['postgres', 'pglite'] : ['pglite'];

/** True when the real Postgres server is available (use with `describe.skipIf(!hasPostgres)`). */
export const hasPostgres = inject('pgTemplate') !== null;

export interface TestDatabase {
  db: Database;
  config: DatabaseConfig;
  /** Close and remove the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database of this kind: a clone of the template on the server, or a PGlite folder. */
export async function createTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const dir = await copyPgliteTemplate(await mkdtemp(join(tmpdir(), 'koppel-pglite-')));
    const config: DatabaseConfig = { url: '', pglite_dir: dir, pool_size: 10 };
    const db = await openDatabase(config);
    await migrateToLatest(db.kysely);
    return {
      db,
      config,
      async drop() {
        await db.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const { config, drop } = await createServerDatabase();
  const db = await openDatabase(config);
  return {
    db,
    config,
    async drop() {
      await db.close();
      await drop();
    },
  };
}

/** A cloned, migrated database on the real server, without opening it (for child-process tests). */
export async function createServerDatabase(): Promise<{ config: DatabaseConfig; drop(): Promise<void> }> {
  const tpl = inject('pgTemplate');
  if (!tpl) throw new Error('no Postgres server for this test');
  const name = `koppel_t_${randomBytes(5).toString('hex')}`;
  await adminQuery(tpl.adminUrl, `create database ${name} template ${tpl.template}`);
  const url = new URL(tpl.adminUrl);
  url.pathname = `/${name}`;
  return {
    config: { url: url.toString(), pglite_dir: './data/pglite', pool_size: 10 },
    drop: async () => {
      // pg's Pool.end() resolves before its clients' sockets have closed; forcing the drop while they close
      // kills them with 57P01, which surfaces as an unhandled error. Wait (bounded) for them to go first.
      await waitForNoSessions(tpl.adminUrl, name);
      await adminQuery(tpl.adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `url` with its sessions named `name`, so a child process's sessions can be told apart from the test's own. */
export function withApplicationName(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}

/**
 * Waits until no session named `name` is left on the server. A SIGKILLed client's backend still runs the
 * statement it had sent (and commits it) before it notices the client is gone: only then is the database
 * what the killed process left.
 */
export async function waitForSessionsToEnd(url: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const left = async () => (await client.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1', [name])).rows[0]!.n;
    await pollUntil(`the sessions of ${name} to end`, async () => (await left()) === 0);
  } finally {
    await client.end();
  }
}

async function waitForNoSessions(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (let i = 0; i < 200; i++) {
      const res = await client.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [database]);
      if (res.rows[0]!.n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await client.end();
  }
}

/** Fills `dir` with a copy of the migrated PGlite template made by global setup, and returns `dir`. */
export async function copyPgliteTemplate(dir: string): Promise<string> {
  await cp(inject('pgliteTemplate'), dir, { recursive: true });
  return dir;
}
