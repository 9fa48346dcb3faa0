import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collectStatus } from '../../src/cli/commands/status.js';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { type TestApp, createTestApp } from '../helpers/app.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { maasWorld } from '../helpers/maas-world.js';

const BOATS = ['91', '92', '93', '94', '95'];
const DATES = dateRange('2027-06-01', 20);
const isUpdate = (path: string) => path.endsWith('/availability/update');

describe.each(testDatabaseKinds)('maasplassen-availability on %s', (kind) => {
  let sandbox: MaasplassenSandbox;
  let app: TestApp;
  let csv: string;

  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
  });
  afterAll(() => sandbox.close());

  beforeEach(async () => {
    sandbox.reset();
    ({ app, csv } = await maasWorld(sandbox, { kind, pipeline: { chunk_size: 40 } }));
  });
  afterEach(() => app.dispose());

  const updates = () => sandbox.requests.filter((r) => isUpdate(r.path));
  const pushedObjects = () => updates().reduce((n, r) => n + (r.objects ?? 0), 0);

  it('pushes every valid boat-date, reports bad rows with line and reason, and a re-run pushes nothing', async () => {
    const rows = exampleAvailability(BOATS, DATES);
    await writeAvailabilityCsv(csv, rows, [
      '91,2027-02-30,ja,Hele dag,,9500,,,', // line 102: no such date
      '92,2027-06-01,ja,Hele dag,,-5,,,', // line 103: negative cents
      '4711,2027-06-01,ja,Hele dag,,9500,,,', // line 104: not in the fleet
      '93,2027-06-02,ja', // line 105: wrong column count
    ]);
    const first = await app.runner.run('boats');
    expect(first.outcome).toBe('rejected');
    expect(first.counts).toMatchObject({ created: 100, updated: 0, rejected: 4, failed: 0 });
    expect(sandbox.availabilityCount(1)).toBe(100);
    const blocked = rows.find((r) => !r.available)!;
    expect(sandbox.availability(1, blocked.boat, blocked.date)).toBeNull();
    const open = rows.find((r) => r.available)!;
    expect(sandbox.availability(1, open.boat, open.date)).toEqual([
      { desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: open.dayCents },
      { desc: 'Halve dag', desc_de: 'Halber Tag', cents: open.halfDayCents },
    ]);
    expect(updates()).toHaveLength(3); // 100 entries in chunks of 40

    const rejected = await app.db.kysely.selectFrom('rejections').select(['line', 'field', 'reason']).where('run_id', '=', first.runId!).orderBy('line').execute();
    expect(rejected).toEqual([
      { line: 102, field: 'date', reason: 'expected a date YYYY-MM-DD' },
      { line: 103, field: 'price1_cents', reason: 'expected a non-negative whole number of cents' },
      { line: 104, field: 'boat_id', reason: 'boat "4711" is not in the fleet of company 1' },
      { line: 105, field: null, reason: expect.stringContaining('wrong number of columns') },
    ]);

    sandbox.requests.length = 0;
    const second = await app.runner.run('boats');
    expect(second.counts).toMatchObject({ created: 0, updated: 0, unchanged: 100 });
    expect(updates()).toHaveLength(0);
  });

  it('an entry the service refuses after bisection is reported with its file and line, like a local rejection', async () => {
    const rows = exampleAvailability(['91', '92'], DATES.slice(0, 3));
    await writeAvailabilityCsv(csv, rows);
    // The boat leaves the fleet after koppel read it: only the service can refuse its entries now.
    let removed: ReturnType<MaasplassenSandbox['removeBoat']>;
    app.events.on('upstream:request', (e) => {
      if (e.op === 'fleet' && e.ok && !removed) removed = sandbox.removeBoat(1, '92');
    });
    try {
      const run = await app.runner.run('boats');
      expect(run.counts).toMatchObject({ seen: 6, created: 3, rejected: 3, failed: 0 });
      const refused = await app.db.kysely.selectFrom('rejections').select(['item_key', 'source', 'line', 'reason']).where('run_id', '=', run.runId!).orderBy('line').execute();
      expect(refused).toEqual(
        rows.flatMap((r, i) => (r.boat === '92' ? [{ item_key: `92|${r.date}`, source: csv, line: i + 2, reason: expect.stringMatching(/^refused by Maasplassen: .*boat not found in the fleet/) }] : [])),
      );
    } finally {
      if (removed) sandbox.addBoat(1, removed);
    }
  });

  it('after one price changes, pushes exactly that boat-date', async () => {
    const rows = exampleAvailability(BOATS, DATES);
    await writeAvailabilityCsv(csv, rows);
    expect((await app.runner.run('boats')).outcome).toBe('succeeded');
    const target = rows.find((r) => r.available && r.boat === '93')!;
    await writeAvailabilityCsv(csv, rows.map((r) => (r === target ? { ...r, dayCents: 12345 } : r)));
    sandbox.requests.length = 0;
    const result = await app.runner.run('boats');
    expect(result.counts).toMatchObject({ updated: 1, created: 0, unchanged: 99 });
    expect(pushedObjects()).toBe(1);
    expect(sandbox.availability(1, '93', target.date)?.[0]?.cents).toBe(12345);
  });

  it('--dry-run prints the plan and sends nothing mutating; --full pushes everything again', async () => {
    await writeAvailabilityCsv(csv, exampleAvailability(BOATS, DATES.slice(0, 4)));
    const dry = await app.runner.run('boats', { dryRun: true });
    expect(dry.outcome).toBe('dry-run');
    expect(dry.plan?.summary).toMatchObject({ push: 20, create: 20, unchanged: 0 });
    expect(dry.plan?.actions[0]).toMatchObject({ action: 'create', key: '91|2027-06-01' });
    expect(updates()).toHaveLength(0);
    expect(sandbox.availabilityCount(1)).toBe(0);

    await app.runner.run('boats');
    sandbox.requests.length = 0;
    const full = await app.runner.run('boats', { full: true });
    expect(full.counts).toMatchObject({ updated: 20, created: 0 });
    expect(pushedObjects()).toBe(20);
  });

  it('mirrors the company fleet into the database and shows it in status', async () => {
    await writeAvailabilityCsv(csv, []);
    await app.runner.run('boats');
    const [status] = await collectStatus(app);
    const fleet = (status as { fleet: { ours: string; theirs: string; name: string; visible: boolean }[] }).fleet;
    expect(fleet).toHaveLength(10);
    expect(fleet.find((b) => b.ours === '91')).toMatchObject({ theirs: '6', name: 'Valk met motor', visible: true });
    expect(fleet.find((b) => b.ours === '100')).toMatchObject({ visible: false });
  });

  it('keeps secrets out of the logs', async () => {
    await writeAvailabilityCsv(csv, exampleAvailability(BOATS, DATES.slice(0, 2)));
    sandbox.faults.set({ errorRate: 0.5, seed: 7 });
    try {
      await app.runner.run('boats');
    } finally {
      sandbox.faults.set({ errorRate: 0 });
    }
    expect(app.logs.text).toContain('retrying'); // error paths were logged too
    for (const secret of [String(sandbox.credentials.secret), String(sandbox.credentials.apikey)]) {
      expect(app.logs.text).not.toContain(secret);
      expect(app.logs.text).not.toContain(encodeURIComponent(secret));
    }
  });

  it('converges under 10 % transient errors and 429s to the fault-free result', async () => {
    const rows = exampleAvailability(BOATS, DATES);
    await writeAvailabilityCsv(csv, rows);
    sandbox.faults.set({ errorRate: 0.1, rateLimitRate: 0.2, retryAfterSeconds: 0.01, seed: 42 });
    try {
      const result = await app.runner.run('boats');
      expect(result.error).toBeUndefined();
      expect(result.outcome).toBe('succeeded');
    } finally {
      sandbox.faults.set({ errorRate: 0, rateLimitRate: 0 });
    }
    expect(sandbox.availabilityCount(1)).toBe(100);
    expect(sandbox.requests.some((r) => r.status === 429)).toBe(true);
  });

  it.runIf(kind === 'postgres')('reads availability from a SQL query on the booking database', async () => {
    const url = String(app.config.database.url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`create table booking (boat_id text, date date, available text, price1_desc_nl text, price1_cents int)`);
    await client.query(`insert into booking values ('91', '2027-07-01', 'ja', 'Hele dag', 9900), ('92', '2027-07-01', 'nee', null, null)`);
    await client.end();
    const mapping = join(app.dir, 'sql-mapping.yaml');
    await writeFile(mapping, 'boat: boat_id\ndate: date\navailable: available\nprices:\n  - { desc: price1_desc_nl, cents: price1_cents }\n');
    const sqlApp = await createTestApp('pglite', () => ({
      upstreams: { maasplassen: { base_url: sandbox.url, apikey: sandbox.credentials.apikey, secret: sandbox.credentials.secret, company_id: 1 } },
      pipelines: [{ name: 'booking', type: 'maasplassen-availability', mapping, source: { sql: { url, query: 'select * from booking order by boat_id' } } }],
    }));
    try {
      const result = await sqlApp.runner.run('booking');
      expect(result.error).toBeUndefined();
      expect(result.counts).toMatchObject({ seen: 2, created: 2, rejected: 0 });
      expect(sandbox.availability(1, '91', '2027-07-01')).toEqual([{ desc: 'Hele dag', cents: 9900 }]);
      expect(sandbox.availability(1, '92', '2027-07-01')).toBeNull();
    } finally {
      await sqlApp.dispose();
    }
  });
});
