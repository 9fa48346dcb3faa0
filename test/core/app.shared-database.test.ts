import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { openApp } from '../../src/registries.js';
import { makeConfig } from '../helpers/config.js';
import { copyPgliteTemplate } from '../helpers/database.js';
import { LogSink } from '../helpers/logs.js';

describe('apps on a database their caller opened (the demo: one PGlite for every step)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-shared-db-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('use it, and leave it open when they close', async () => {
    const config = makeConfig({ log: { level: 'info' }, database: { url: '', pglite_dir: await copyPgliteTemplate(join(dir, 'pglite')) } });
    const database = await openDatabase(config.database);
    try {
      for (const name of ['first', 'second']) {
        const app = await openApp(config, { logDestination: new LogSink(), database });
        expect(app.db).toBe(database);
        await app.db.kysely.insertInto('pipeline_marks').values({ pipeline: 'p', name, data: JSON.stringify({}) }).execute();
        await app.close();
      }
      const { rows } = await sql<{ name: string }>`select name from pipeline_marks order by name`.execute(database.kysely);
      expect(rows.map((r) => r.name)).toEqual(['first', 'second']);
    } finally {
      await database.close();
    }
  });
});
