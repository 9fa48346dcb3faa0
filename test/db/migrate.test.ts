import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { ROOT } from '../fixtures/koppel-process.js';
import { type TestDatabase, createTestDatabase, testDatabaseKinds } from '../helpers/database.js';

describe.each(testDatabaseKinds)('migrations on %s', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(() => t.drop());

  it('are idempotent: a second run applies nothing and keeps the data', async () => {
    // createTestDatabase already migrated; record something and migrate again, twice.
    await t.db.kysely.insertInto('pipeline_marks').values({ pipeline: 'p', name: 'n', data: JSON.stringify({ a: 1 }) }).execute();
    for (let i = 0; i < 2; i++) {
      const again = await migrateToLatest(t.db.kysely);
      expect(again.error).toBeUndefined();
      expect(again.results).toEqual([]);
    }
    const applied = await t.db.kysely.selectFrom('koppel_migrations' as never).select('name' as never).execute();
    expect((applied as { name: string }[]).map((r) => r.name)).toContain('0001_core');
    expect(await t.db.kysely.selectFrom('pipeline_marks').select('data').executeTakeFirst()).toEqual({ data: { a: 1 } });
  });

  it('leave the order queue open to any upstream: no CHECK lists the ordering upstreams (0011)', async () => {
    // A fifth ordering pipeline adds rows, not a constraint: its upstream's name is data.
    const row = await t.db.kysely
      .insertInto('order_requests')
      .values({ upstream: 'a-fifth-upstream', request: JSON.stringify({ what: 'anything' }) as never })
      .returning(['id', 'upstream', 'status'])
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ upstream: 'a-fifth-upstream', status: 'pending' });
    const { rows } = await sql<{ conname: string }>`select conname from pg_constraint where conrelid = 'order_requests'::regclass and contype = 'c'`.execute(t.db.kysely);
    // The states stay a closed list (they are koppel's own vocabulary); the upstreams are not one.
    expect(rows.map((r) => r.conname)).toEqual(['order_requests_status_check']);
  });
});

describe('a fresh embedded database', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-migrate-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('has every migration after the first migrate (the template holds those of its day), nothing pending after a reopen', async () => {
    const first = await openDatabase({ url: '', pglite_dir: dir, pool_size: 2 });
    const applied = await migrateToLatest(first.kysely);
    expect(applied.results?.map((r) => r.status)).not.toContain('Error');
    const names = await first.kysely.selectFrom('koppel_migrations' as never).select('name' as never).orderBy('name' as never).execute();
    expect((names as { name: string }[]).map((r) => r.name)).toEqual(migrationNames());
    await first.close();
    const second = await openDatabase({ url: '', pglite_dir: dir, pool_size: 2 });
    try {
      expect((await migrateToLatest(second.kysely)).results).toEqual([]);
    } finally {
      await second.close();
    }
  });
});

describe('the embedded database pid file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-pid-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('refuses a second process with a clear ConfigError while the first holds it', async () => {
    const db = await openDatabase({ url: '', pglite_dir: dir, pool_size: 2 });
    try {
      const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/open-database.ts', dir], { cwd: ROOT, encoding: 'utf8', input: '' });
      expect(child.status).toBe(2);
      const report = JSON.parse(child.stdout.trim()) as { error: string; name: string };
      expect(report.name).toBe('ConfigError');
      expect(report.error).toContain(`is in use by process ${process.pid}`);
      expect(report.error).toContain('database.url');
      // The refused opener must not have removed the holder's pid file.
      expect(readFileSync(join(dir, 'koppel.pid'), 'utf8').trim()).toBe(String(process.pid));
    } finally {
      await db.close();
    }
    expect(existsSync(join(dir, 'koppel.pid'))).toBe(false);
  });

  it('refuses while a live process other than ours is named in the pid file', async () => {
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, 'koppel.pid'), String(sleeper.pid));
      const err = await openDatabase({ url: '', pglite_dir: dir, pool_size: 2 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(`in use by process ${sleeper.pid}`);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('takes over a stale pid file left by a process killed with SIGKILL', async () => {
    const holder = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/open-database.ts', dir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const opened = await new Promise<string>((resolve, reject) => {
      holder.stdout!.once('data', (d: Buffer) => resolve(d.toString('utf8')));
      holder.once('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
    });
    expect(JSON.parse(opened)).toMatchObject({ opened: true });
    const gone = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await gone;
    expect(readFileSync(join(dir, 'koppel.pid'), 'utf8').trim()).toBe(String(holder.pid));

    const db = await openDatabase({ url: '', pglite_dir: dir, pool_size: 2 });
    try {
      expect(readFileSync(join(dir, 'koppel.pid'), 'utf8').trim()).toBe(String(process.pid));
      await migrateToLatest(db.kysely); // the killed writer left a usable database
      await db.kysely.selectFrom('runs').select('id').execute();
    } finally {
      await db.close();
    }
  });
});

/** The migration files' names, in order (what koppel_migrations lists once all are applied). */
function migrationNames(): string[] {
  return readdirSync(join(ROOT, 'migrations'))
    .filter((f) => /^\d{4}_[\w-]+\.ts$/.test(f))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
}
