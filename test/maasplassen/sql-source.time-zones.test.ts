/**
 * The whole SQL-source path (koppel run in a child process: config, booking database, mapping, change
 * detection, push to the sandbox) under process time zones east of UTC, west of UTC and UTC. Each zone, on a
 * fresh koppel database, must push the same boat-dates; a zone change alone must then push nothing.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { copyPgliteTemplate, createServerDatabase, hasPostgres } from '../helpers/database.js';
import { koppel, maasUpstream, writeConfig } from '../fixtures/koppel-process.js';

// Days where a local-midnight Date shows: year ends, a leap day, both European DST changes.
const DATES = ['2027-01-01', '2027-03-28', '2027-06-01', '2027-10-31', '2027-12-31', '2028-02-29'];
const BOATS = ['91', '92', '93'];
const cents = (boat: string, date: string) => 9000 + Number(boat) * 10 + Number(date.slice(8, 10));
const isUpdate = (path: string) => path.endsWith('/availability/update');

describe.skipIf(!hasPostgres)('SQL source under any process time zone', () => {
  let sandbox: MaasplassenSandbox;
  let booking: { url: string; drop(): Promise<void> };
  let dir: string;

  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
    dir = await mkdtemp(join(tmpdir(), 'koppel-tz-'));
    const server = await createServerDatabase();
    booking = { url: String(server.config.url), drop: server.drop };
    const client = new pg.Client({ connectionString: booking.url });
    await client.connect();
    await client.query('create table bookings (boat_id text, day date, price1_desc_nl text, price1_cents int)');
    for (const boat of BOATS) {
      for (const date of DATES) await client.query('insert into bookings values ($1, $2, $3, $4)', [boat, date, 'Hele dag', cents(boat, date)]);
    }
    await client.end();
    writeFileSync(join(dir, 'mapping.yaml'), 'boat: boat_id\ndate: day\nprices:\n  - { desc: price1_desc_nl, cents: price1_cents }\n');
  });
  afterAll(async () => {
    await sandbox.close();
    await booking.drop();
    await rm(dir, { recursive: true, force: true });
  });

  /** `koppel run booking` with TZ=zone on the koppel database in `pglite`; the boat-dates it pushed. */
  async function runIn(zone: string, pglite: string): Promise<{ code: number | null; pushed: number }> {
    const config = await writeConfig(join(dir, `koppel-${pglite.split("/").at(-1)}.yaml`), {
      database: { url: '', pglite_dir: pglite },
      upstreams: { maasplassen: maasUpstream(sandbox) },
      pipelines: [
        { name: 'booking', type: 'maasplassen-availability', mapping: join(dir, 'mapping.yaml'), source: { sql: { url: booking.url, query: 'select * from bookings order by boat_id, day' } } },
      ],
    });
    sandbox.requests.length = 0;
    const exited = await koppel(['run', 'booking', '--config', config], { TZ: zone, MAAS_SECRET: String(sandbox.credentials.secret) });
    expect(exited.code, `${zone}: ${exited.stderr}`).toBe(0);
    const pushed = sandbox.requests.filter((r) => isUpdate(r.path)).reduce((n, r) => n + (r.objects ?? 0), 0);
    return { code: exited.code, pushed };
  }

  /** A fresh koppel database for one test. */
  const freshDatabase = (label: string) => copyPgliteTemplate(join(dir, `pglite-${label}-${Math.random().toString(36).slice(2)}`));

  /** Exactly these boat-dates, each with its own price: a date shifted by a day would be missing here. */
  function expectEveryBoatDate(zone: string, pushed: number): void {
    expect(pushed, zone).toBe(BOATS.length * DATES.length);
    expect(sandbox.availabilityCount(1), zone).toBe(BOATS.length * DATES.length);
    for (const b of BOATS) for (const d of DATES) expect(sandbox.availability(1, b, d), `${zone} ${b} ${d}`).toEqual([{ desc: 'Hele dag', cents: cents(b, d) }]);
  }

  // Europe/Amsterdam (east, DST) is the first run of the zone-change test below.
  it.each(['Pacific/Kiritimati', 'America/New_York', 'UTC'])('pushes every boat-date on its own day from a fresh start under TZ=%s', { timeout: 120_000 }, async (zone) => {
    sandbox.reset();
    const { code, pushed } = await runIn(zone, await freshDatabase('fresh'));
    expect(code, zone).toBe(0);
    expectEveryBoatDate(zone, pushed);
  });

  it('pushes the same under TZ=Europe/Amsterdam, then nothing when only the zone changes', { timeout: 180_000 }, async () => {
    sandbox.reset();
    const db = await freshDatabase('change');
    const first = await runIn('Europe/Amsterdam', db);
    expect(first.code).toBe(0);
    expectEveryBoatDate('Europe/Amsterdam', first.pushed);
    for (const zone of ['Pacific/Honolulu', 'Pacific/Kiritimati']) {
      const again = await runIn(zone, db);
      expect(again.code, zone).toBe(0);
      expect(again.pushed, zone).toBe(0);
    }
  });
});
