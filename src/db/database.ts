import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { ConfigError, RetryableError } from '../core/errors.js';
import type { DatabaseConfig } from './config.js';
import { pgliteOptions, prepareDataDir, releaseClosedPglite } from './pglite.js';
import type { DB } from './schema.js';

/** Releases a lock taken with `tryLock`. */
export type ReleaseLock = () => Promise<void>;

export interface Database {
  readonly kysely: Kysely<DB>;
  readonly kind: 'postgres' | 'pglite';
  /**
   * Takes the cross-process lock named `name` without waiting; null when another process holds it.
   * On a server this is a session advisory lock on its own connection, so a killed process releases it.
   */
  tryLock(name: string): Promise<ReleaseLock | null>;
  close(): Promise<void>;
}

// Advisory locks take two int4 keys: a fixed namespace for koppel, and hashtext(name).
const LOCK_NAMESPACE = 0x6b6f70;

// pg returns bigint columns as strings by default; ids and counts fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// A `date` column (order days) is a calendar day: keep Postgres's `YYYY-MM-DD` text, as the table types say.
// pg's default makes it a JS Date at local midnight, which reads as the day before east of UTC.
const dateAsText = (v: string) => v;
pg.types.setTypeParser(pg.types.builtins.DATE, dateAsText);

/** Postgres answers that mean the config is wrong: invalid password, authorization, no such database. */
const CONFIG_FAULTS = new Set(['28P01', '28000', '3D000']);

export async function openDatabase(cfg: DatabaseConfig): Promise<Database> {
  return cfg.url ? openServer(cfg) : openEmbedded(cfg);
}

async function openServer(cfg: DatabaseConfig): Promise<Database> {
  const pool = new pg.Pool({ connectionString: cfg.url, max: cfg.pool_size, connectionTimeoutMillis: 10_000 });
  // An idle pooled connection the server ends (restart, pg_terminate_backend, DROP DATABASE … FORCE) emits 'error'
  // on the pool; unhandled, it would crash the process. pg drops that client itself; the next query opens another.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    const message = `database.url: cannot connect to ${redactUrl(cfg.url)}: ${(err as Error).message}`;
    // A refused login or a missing database is the config's fault (exit 2); a server that does not answer is an
    // outage koppel could not work through (exit 1: a cron wrapper pages for it, as for an unreachable upstream).
    if (CONFIG_FAULTS.has(String((err as { code?: unknown }).code))) throw new ConfigError(message);
    throw new RetryableError(message);
  }
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    kysely,
    kind: 'postgres',
    async tryLock(name) {
      const client = new pg.Client({ connectionString: cfg.url });
      // A session the server ends (restart, pg_terminate_backend) emits 'error'; unhandled, it would crash the
      // daemon. The lock goes with the session; the run in hand finishes and the next run takes the lock anew.
      client.on('error', () => undefined);
      await client.connect();
      const res = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [LOCK_NAMESPACE, name]);
      if (!res.rows[0]?.ok) {
        await client.end();
        return null;
      }
      return async () => {
        // Closing the session releases the lock even if the unlock query fails.
        await client.query('select pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, name]).catch(() => undefined);
        await client.end().catch(() => undefined);
      };
    },
    close: () => kysely.destroy(),
  };
}

/**
 * PGlite is one process's database: a pid file refuses a second process on the same folder (which would
 * corrupt it), and locks are only in-process, which the runner already enforces.
 */
async function openEmbedded(cfg: DatabaseConfig): Promise<Database> {
  // Loaded here, not at the top: a process with a server URL never needs PGlite (several MB of code).
  const [{ PGlite }, { PGliteDialect }] = await Promise.all([import('@electric-sql/pglite'), import('kysely-pglite-dialect')]);
  const dir = resolve(cfg.pglite_dir);
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, 'koppel.pid');
  claimPidFile(pidFile);
  let pglite: PGlite;
  try {
    await prepareDataDir(dir);
    pglite = await PGlite.create(dir, { ...(await pgliteOptions()), parsers: { [pg.types.builtins.DATE]: dateAsText } });
  } catch (err) {
    rmSync(pidFile, { force: true });
    throw new ConfigError(`database.pglite_dir: cannot open embedded database in ${dir}: ${(err as Error).message}`);
  }
  const kysely = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  return {
    kysely,
    kind: 'pglite',
    tryLock: async () => async () => undefined,
    async close() {
      await kysely.destroy();
      rmSync(pidFile, { force: true });
      releaseClosedPglite();
    },
  };
}

function claimPidFile(pidFile: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(pidFile, 'utf8').trim());
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new ConfigError(
          `database: the embedded database in ${pidFile.replace(/\/koppel\.pid$/, '')} is in use by process ${holder}; ` +
            'stop it, or set database.url to a Postgres server to run several processes',
        );
      }
      rmSync(pidFile, { force: true }); // stale: its process is gone
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A database URL safe to print: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}
