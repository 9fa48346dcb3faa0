import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { PGLITE_SETTINGS, installedPgliteVersion, prepareDataDir, templateFile } from '../../src/db/pglite.js';
import type { DB } from '../../src/db/schema.js';
import { extractTar } from '../../src/db/untar.js';

const rssMiB = () => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

describe('a new embedded data folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-pglite-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('comes from the prepared folder shipped for the installed PGlite, not from initdb', async () => {
    // Fails after a PGlite upgrade until `npm run pglite-template` has made the folder for the new version.
    expect(existsSync(templateFile()), `no pglite-template/ for PGlite ${installedPgliteVersion()}: run npm run pglite-template`).toBe(true);
    expect(await prepareDataDir(dir)).toBe('template');
    expect(await prepareDataDir(dir)).toBe('existing');
    const db = await openDatabase({ url: '', pglite_dir: dir, pool_size: 2 });
    try {
      expect((await migrateToLatest(db.kysely)).results?.map((r) => r.status)).not.toContain('Error');
      await db.kysely.insertInto('pipeline_marks').values({ pipeline: 'p', name: 'n', data: JSON.stringify({ a: 1 }) }).execute();
    } finally {
      await db.close();
    }
    const again = await openDatabase({ url: '', pglite_dir: dir, pool_size: 2 });
    try {
      expect(await again.kysely.selectFrom('pipeline_marks').select('data').executeTakeFirst()).toEqual({ data: { a: 1 } });
    } finally {
      await again.close();
    }
  });

  it('is prepared again when an earlier start stopped half-way (files written, PG_VERSION not yet)', async () => {
    await prepareDataDir(dir);
    await rm(join(dir, 'PG_VERSION'));
    writeFileSync(join(dir, 'global', 'pg_control'), 'torn write'); // a file the interrupted start left damaged
    expect(await prepareDataDir(dir)).toBe('template');
    const db = await openDatabase({ url: '', pglite_dir: dir, pool_size: 2 });
    try {
      expect((await sql<{ one: number }>`select 1 as one`.execute(db.kysely)).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('without a prepared folder for this PGlite, runs initdb in a child process: this process stays small', async () => {
    const noTemplates = await mkdtemp(join(tmpdir(), 'koppel-no-template-'));
    try {
      const before = rssMiB();
      expect(await prepareDataDir(dir, noTemplates)).toBe('initdb');
      // initdb in this process would add ~600 MiB here (and keep it); the child's memory leaves with it.
      expect(rssMiB() - before).toBeLessThan(150);
      expect(readdirSync(dir)).not.toContain('.koppel-initdb.tar');
      const db = await openDatabase({ url: '', pglite_dir: dir, pool_size: 2 });
      let fromInitdb: unknown;
      try {
        const applied = await migrateToLatest(db.kysely);
        expect(applied.results?.map((r) => r.status)).not.toContain('Error');
        expect(applied.results?.[0]).toMatchObject({ migrationName: '0001_core', status: 'Success' }); // from nothing
        fromInitdb = await schemaOf(db.kysely);
        expect((fromInitdb as { columns: unknown[] }).columns.length).toBeGreaterThan(50);
      } finally {
        await db.close();
      }
      // The shipped template holds the migrations of its day: a folder made from it, once migrated, must be the
      // same database as initdb + every migration (fails when a migration in the template was edited since:
      // run `npm run pglite-template`).
      const fromTemplate = await mkdtemp(join(tmpdir(), 'koppel-from-template-'));
      const other = await openDatabase({ url: '', pglite_dir: fromTemplate, pool_size: 2 });
      try {
        expect((await migrateToLatest(other.kysely)).results?.map((r) => r.status)).not.toContain('Error');
        expect(await schemaOf(other.kysely)).toEqual(fromInitdb);
      } finally {
        await other.close();
        await rm(fromTemplate, { recursive: true, force: true });
      }
    } finally {
      await rm(noTemplates, { recursive: true, force: true });
    }
  }, 240_000); // initdb takes ~10 s alone, minutes beside other test files on two cores

  it('runs with koppel’s server settings, also in a folder whose postgresql.conf says otherwise', async () => {
    await prepareDataDir(dir);
    const conf = join(dir, 'postgresql.conf');
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}\nshared_buffers = 128MB\n`); // as initdb wrote it before issue 14
    const db = await openDatabase({ url: '', pglite_dir: dir, pool_size: 2 });
    try {
      for (const setting of PGLITE_SETTINGS) {
        const [name, value] = setting.split('=') as [string, string];
        expect((await sql<Record<string, string>>`select current_setting(${name}) as v`.execute(db.kysely)).rows[0]?.v).toBe(value);
      }
    } finally {
      await db.close();
    }
  });
});

describe('closing the embedded database', () => {
  it('asks V8 (when --expose-gc allows) to collect the closed PGlite once the caller let go of it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'koppel-pglite-close-'));
    const had = globalThis.gc;
    const gc = vi.fn();
    globalThis.gc = gc as unknown as typeof globalThis.gc;
    try {
      const db = await openDatabase({ url: '', pglite_dir: dir, pool_size: 2 });
      await db.close();
      expect(gc).not.toHaveBeenCalled(); // not while the caller still holds the database
      await new Promise((r) => setImmediate(r));
      expect(gc).toHaveBeenCalledTimes(1);
    } finally {
      globalThis.gc = had;
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('extractTar', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-untar-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes files and folders, the named file last', async () => {
    const tar = archive([entry('PG_VERSION', '17\n'), entry('base', '', '5'), entry('base/1/112', 'page')]);
    expect(await extractTar(tar, dir, 'PG_VERSION')).toEqual(['base/1/112', 'PG_VERSION']);
    expect(readFileSync(join(dir, 'base/1/112'), 'utf8')).toBe('page');
    expect(readFileSync(join(dir, 'PG_VERSION'), 'utf8')).toBe('17\n');
  });

  it('reads the archive as it comes: entries and headers split across chunks of any size', async () => {
    const body = 'p'.repeat(1500);
    const tar = archive([entry('base', '', '5'), entry('base/1/112', body), entry('PG_VERSION', '17\n'), entry('base/1/113', 'q')]);
    for (const size of [1, 7, 512, 1000]) {
      const sub = join(dir, String(size));
      const chunks = (async function* () {
        for (let at = 0; at < tar.length; at += size) yield tar.subarray(at, at + size);
      })();
      expect(await extractTar(chunks, sub, 'PG_VERSION')).toEqual(['base/1/112', 'base/1/113', 'PG_VERSION']);
      expect(readFileSync(join(sub, 'base/1/112'), 'utf8')).toBe(body);
      expect(readFileSync(join(sub, 'base/1/113'), 'utf8')).toBe('q');
      expect(readFileSync(join(sub, 'PG_VERSION'), 'utf8')).toBe('17\n');
    }
  });

  it('writes no PG_VERSION when an entry fails, so the folder is not taken as complete', async () => {
    const tar = archive([entry('PG_VERSION', '17\n'), entry('base/1/112', 'page'), entry('../escape', 'x')]);
    await expect(extractTar(tar, dir, 'PG_VERSION')).rejects.toThrow(/\.\.\/escape: outside the target folder/);
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(false);
    expect(existsSync(join(dir, '..', 'escape'))).toBe(false);
  });

  it('refuses links and entries that run past the archive', async () => {
    await expect(extractTar(archive([entry('pg_wal', '', '2')]), dir)).rejects.toThrow(/pg_wal: type '2' is not a file or folder/);
    const cut = archive([entry('big', 'x'.repeat(2000))]).subarray(0, 1024);
    await expect(extractTar(cut, dir)).rejects.toThrow(/big: size 2000 runs past the archive/);
  });
});

/** Tables, columns, indexes, constraints, functions and applied migrations of the public schema, as text. */
async function schemaOf(db: Kysely<DB>): Promise<Record<string, unknown[]>> {
  const q = async (query: ReturnType<typeof sql>) => (await query.execute(db)).rows;
  return {
    columns: await q(sql`select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns where table_schema = 'public' order by 1, 2`),
    indexes: await q(sql`select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2`),
    constraints: await q(sql`select conrelid::regclass::text as rel, conname, pg_get_constraintdef(oid) as def from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2`),
    functions: await q(sql`select proname, pg_get_functiondef(oid) as def from pg_proc where pronamespace = 'public'::regnamespace order by 1`),
    triggers: await q(sql`select tgrelid::regclass::text as rel, tgname, pg_get_triggerdef(oid) as def from pg_trigger where not tgisinternal order by 1, 2`),
    migrations: await q(sql`select name from koppel_migrations order by name`),
  };
}

/** One ustar entry: a 512-byte header (name, octal size, type) and the body padded to 512 bytes. */
function entry(name: string, body: string, type = '0'): Buffer {
  const header = Buffer.alloc(512);
  header.write(`/${name}`, 0);
  header.write(`${Buffer.byteLength(body).toString(8).padStart(11, '0')}\0`, 124);
  header.write(type, 156);
  const data = Buffer.alloc(Math.ceil(Buffer.byteLength(body) / 512) * 512);
  data.write(body);
  return Buffer.concat([header, data]);
}

function archive(entries: Buffer[]): Uint8Array {
  return Buffer.concat([...entries, Buffer.alloc(1024)]);
}
