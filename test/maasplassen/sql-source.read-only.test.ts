/**
 * The SQL source against a real booking database: one statement only (config check, run-start check, and the
 * extended protocol as the backstop), a read-only session that refuses every write the query attempts, and a
 * statement timeout. Each attack is followed by counting the bookings: nothing may be deleted.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/registries.js';
import { ConfigError } from '../../src/core/errors.js';
import { declareCursor, readAvailabilitySource } from '../../src/pipelines/maasplassen-availability/source.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { createTestApp } from '../helpers/app.js';
import { createServerDatabase, hasPostgres } from '../helpers/database.js';

const MULTI = 'select * from bookings; commit; delete from bookings; select 1';

describe.skipIf(!hasPostgres)('SQL source: read-only, one statement', () => {
  let booking: { url: string; drop(): Promise<void> };
  let sandbox: MaasplassenSandbox;

  async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: booking.url });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  }
  const bookings = async () => Number((await sql<{ n: string }>('select count(*) as n from bookings'))[0]!.n);

  beforeAll(async () => {
    const server = await createServerDatabase();
    booking = { url: String(server.config.url), drop: server.drop };
    sandbox = await startMaasplassenSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
    await booking.drop();
  });
  beforeEach(async () => {
    sandbox.reset();
    await sql(`drop table if exists bookings cascade;
      create table bookings (boat_id text, date date, available text, price1_desc_nl text, price1_cents int);
      insert into bookings select '91', d::date, 'ja', 'Hele dag', 9500 from generate_series('2027-06-01'::date, '2027-06-10', '1 day') d;
      create or replace function purge_bookings() returns setof bookings language sql as $$ delete from bookings returning * $$;`);
  });

  /** Runs the whole pipeline once with `query` (and source settings) against the sandbox. */
  async function runQuery(query: string, extra: Record<string, unknown> = {}) {
    const app = await createTestApp('pglite', (dir) => ({
      upstreams: { maasplassen: { base_url: sandbox.url, apikey: sandbox.credentials.apikey, secret: sandbox.credentials.secret, company_id: 1 } },
      pipelines: [{ name: 'booking', type: 'maasplassen-availability', mapping: mappingFile(dir), source: { sql: { url: booking.url, query, ...extra } } }],
    }));
    try {
      return await app.runner.run('booking');
    } finally {
      await app.dispose();
    }
  }
  const mappingFile = (dir: string) => {
    const path = join(dir, 'mapping.yaml');
    writeFileSync(path, 'boat: boat_id\ndate: date\navailable: available\nprices:\n  - { desc: price1_desc_nl, cents: price1_cents }\n');
    return path;
  };

  it('a multi-statement query is a config error naming the key path, and nothing runs', async () => {
    const yaml = `upstreams:\n  maasplassen: { apikey: pub.x, secret: sk.x, company_id: 1 }\npipelines:\n  - { name: a, type: maasplassen-availability, source: { csv: a.csv } }\n  - name: b\n    type: maasplassen-availability\n    source: { sql: { url: "${booking.url}", query: "${MULTI}" } }\n`;
    expect(() => parseConfig(yaml, {})).toThrow(ConfigError);
    expect(() => parseConfig(yaml, {})).toThrow(
      /pipelines\[1\]\.source\.sql\.query: expected exactly one SQL statement, found 4 \(the first ends with the ";" at offset 22\), got "select \* from bookings; commit;/,
    );
    expect(await bookings()).toBe(10);
  });

  it('refuses a multi-statement query at run start too, before connecting (the source used without the config check)', async () => {
    const rows = readAvailabilitySource({ sql: { url: booking.url, query: MULTI, statement_timeout_ms: 1000 } });
    await expect(rows.next()).rejects.toThrow('source.sql.query: expected exactly one SQL statement, found 4');
    expect(await bookings()).toBe(10);
  });

  it('sends the query with the extended protocol, which Postgres refuses to run as several statements', async () => {
    const client = new pg.Client({ connectionString: booking.url });
    await client.connect();
    try {
      await client.query('begin');
      await expect(declareCursor(client, 'select 1; commit; delete from bookings; select 1')).rejects.toThrow('cannot insert multiple commands into a prepared statement');
      await client.query('rollback');
    } finally {
      await client.end();
    }
    expect(await bookings()).toBe(10);
  });

  it('refuses writes hidden in the query: a data-modifying CTE, a function that deletes, turning read-only off', async () => {
    const cte = await runQuery('with d as (delete from bookings returning *) select * from d');
    expect(cte.outcome).toBe('failed');
    expect(await bookings()).toBe(10);

    const fn = await runQuery('select * from purge_bookings()');
    expect(fn.outcome).toBe('failed');
    expect(fn.error?.message).toContain('source.sql.query: the query tries to change the booking database, which koppel only reads: cannot execute DELETE in a read-only transaction');
    expect(await bookings()).toBe(10);

    const off = await runQuery("select set_config('transaction_read_only', 'off', true) as t, * from purge_bookings()");
    expect(off.outcome).toBe('failed');
    expect(await bookings()).toBe(10);
    expect(sandbox.availabilityCount()).toBe(0);
  });

  it('keeps the session read-only and bounded even when the URL asks otherwise', async () => {
    const url = new URL(booking.url);
    url.searchParams.set('options', '-c default_transaction_read_only=off -c statement_timeout=0');
    const rows = readAvailabilitySource({
      sql: {
        url: url.toString(),
        query: "select current_setting('default_transaction_read_only') as ro, current_setting('transaction_read_only') as tro, current_setting('statement_timeout') as timeout;",
        statement_timeout_ms: 4321,
      },
    });
    const got = [];
    for await (const batch of rows) got.push(...batch.rows.map((row) => Object.fromEntries(batch.columns.map((c, i) => [c, row.fields![i]]))));
    expect(got).toEqual([{ ro: 'on', tro: 'on', timeout: '4321ms' }]);
  });

  it('cancels a statement that runs longer than statement_timeout_ms and says which setting did it', async () => {
    const slow = await runQuery("select '91' as boat_id, '2027-06-01' as date, pg_sleep(60)::text as available", { statement_timeout_ms: 50 });
    expect(slow.outcome).toBe('failed');
    expect(slow.error?.message).toContain('source.sql.query: cancelled after source.sql.statement_timeout_ms (50 ms)');
  });

  it('still reads a normal query (trailing ";" and all) and pushes it', async () => {
    const ok = await runQuery('select * from bookings order by date;');
    expect(ok.error).toBeUndefined();
    expect(ok.counts).toMatchObject({ seen: 10, created: 10, rejected: 0 });
    expect(sandbox.availability(1, '91', '2027-06-01')).toEqual([{ desc: 'Hele dag', cents: 9500 }]);
    expect(await bookings()).toBe(10);
  });
});
