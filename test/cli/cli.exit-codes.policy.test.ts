import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliOutput } from '../../src/cli/cli-args.js';
import { EXIT, exitCodeForRun } from '../../src/cli/exit-codes.js';
import { main } from '../../src/cli/program.js';
import { type Database, openDatabase } from '../../src/db/database.js';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { writeExampleCatalog } from '../../demo/planogram-catalog-data.js';
import { type AmbitaSandbox, startAmbitaSandbox } from '../../sandbox/ambita/server.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { type PlanogramBuilderSandbox, startPlanogramBuilderSandbox } from '../../sandbox/planogrambuilder/server.js';
import { type PlanviewerSandbox, startPlanviewerSandbox } from '../../sandbox/planviewer/server.js';
import { sandboxAmbitaConfig } from '../ambita/fixtures.js';
import { maasUpstream, writeConfig } from '../fixtures/koppel-process.js';
import { createServerDatabase, hasPostgres } from '../helpers/database.js';
import { sandboxUpstreamConfig } from '../planogram/plano-fixtures.js';

describe('exitCodeForRun: the README policy', () => {
  it('maps every recorded outcome to one code', () => {
    expect(exitCodeForRun({ outcome: 'succeeded' })).toBe(EXIT.ok);
    expect(exitCodeForRun({ outcome: 'dry-run' })).toBe(EXIT.ok);
    expect(exitCodeForRun({ outcome: 'rejected' })).toBe(EXIT.attention);
    expect(exitCodeForRun({ outcome: 'attention' })).toBe(EXIT.attention); // items failed or wait, the run finished
    expect(exitCodeForRun({ outcome: 'failed' })).toBe(EXIT.failed); // an error ended the run
    expect(exitCodeForRun({ outcome: 'stopped' })).toBe(EXIT.failed);
    expect(exitCodeForRun({ outcome: 'skipped' })).toBe(EXIT.locked);
    expect(EXIT).toEqual({ ok: 0, failed: 1, usage: 2, attention: 3, locked: 75 });
  });
});

/**
 * `koppel run` through the real command tree (main), against the four sandboxes on real sockets and one clone
 * of the template database; one test per exit code per pipeline. Runs build on each other in file order.
 */
describe.skipIf(!hasPostgres)('koppel run: exit codes per pipeline', () => {
  let dir: string;
  let maas: MaasplassenSandbox;
  let pv: PlanviewerSandbox;
  let ambita: AmbitaSandbox;
  let plano: PlanogramBuilderSandbox;
  let db: Database;
  let dropDb: () => Promise<void>;
  let config: string;
  let down: string;
  let dbUrl: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-exit-'));
    [maas, pv, ambita, plano] = await Promise.all([startMaasplassenSandbox(), startPlanviewerSandbox(), startAmbitaSandbox(), startPlanogramBuilderSandbox()]);
    const server = await createServerDatabase();
    dropDb = server.drop;
    dbUrl = server.config.url;
    db = await openDatabase(server.config);
    const good = join(dir, 'good.csv');
    const bad = join(dir, 'bad.csv');
    await writeAvailabilityCsv(good, exampleAvailability(['91'], dateRange('2027-06-01', 2)));
    await writeAvailabilityCsv(bad, exampleAvailability(['92'], dateRange('2027-06-01', 2)), ['4711,2027-06-01,ja,Hele dag,,9500,,,']);
    const catalog = async (name: string, badRows: boolean) => {
      const d = join(dir, name);
      await mkdir(d, { recursive: true });
      await writeExampleCatalog({ dir: d, products: 4, accessories: 1, materials: 1, badRows });
      return {
        name,
        type: 'planogram-catalog',
        source: { products: join(d, 'products.csv'), accessories: join(d, 'accessories.csv'), materials: join(d, 'materials.csv'), images: join(d, 'images') },
        mapping: { products: 'mappings/products.yaml', accessories: 'mappings/accessories.yaml', materials: 'mappings/materials.yaml' },
      };
    };
    const pipelines = [
      { name: 'boats', type: 'maasplassen-availability', source: { csv: good } },
      { name: 'boats-bad', type: 'maasplassen-availability', source: { csv: bad } },
      { name: 'pv', type: 'planviewer-mirror', poll: { initial_delay_ms: 0, max_delay_ms: 0, max_wait_ms: 60_000 } },
      { name: 'ambita', type: 'ambita-mirror', municipalities: ['9999'] },
      await catalog('catalog', false),
      await catalog('catalog-bad', true),
    ];
    const fast = { retry: { max_attempts: 2, base_delay_ms: 1, max_delay_ms: 2 } };
    const upstreams = {
      maasplassen: { ...maasUpstream(maas), secret: String(maas.credentials.secret) },
      planviewer: { base_url: pv.url, access_key: pv.credentials.access_key, secret: pv.credentials.secret, daily_order_cap: 10, ...fast },
      ambita: sandboxAmbitaConfig(ambita),
      planogrambuilder: sandboxUpstreamConfig(plano),
    };
    const base = { database: { url: server.config.url }, storage: { root: join(dir, 'files') }, log: { level: 'silent' }, pipelines };
    config = await writeConfig(join(dir, 'koppel.yaml'), { ...base, upstreams });
    // Every upstream unreachable (nothing listens on port 1), retries short.
    const nowhere = 'http://127.0.0.1:1';
    down = await writeConfig(join(dir, 'down.yaml'), {
      ...base,
      upstreams: {
        maasplassen: { ...upstreams.maasplassen, base_url: `${nowhere}/api/v2`, ...fast },
        planviewer: { ...upstreams.planviewer, base_url: nowhere },
        ambita: { ...upstreams.ambita, base_url: nowhere, token_url: `${nowhere}/token`, retry: fast.retry },
        planogrambuilder: { ...upstreams.planogrambuilder, endpoint: '127.0.0.1:1', retry: fast.retry, timeout_ms: 1000 },
      },
    });
  });
  afterAll(async () => {
    await db?.close();
    await dropDb?.();
    await Promise.all([maas?.close(), pv?.close(), ambita?.close(), plano?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  async function koppel(configPath: string, ...argv: string[]): Promise<{ code: number; err: string; out: string }> {
    const captured = { out: '', err: '' };
    const io: CliOutput = { out: (t) => void (captured.out += t), err: (t) => void (captured.err += t) };
    const code = await main(['node', 'koppel', '--config', configPath, ...argv], io);
    return { code, ...captured };
  }
  const run = (pipeline: string, configPath = config) => koppel(configPath, 'run', pipeline);
  const lastRun = (pipeline: string) =>
    db.kysely.selectFrom('runs').select(['id', 'outcome', 'error']).where('pipeline', '=', pipeline).orderBy('id', 'desc').executeTakeFirstOrThrow();

  it('0: the job is done (each pipeline)', async () => {
    for (const p of ['boats', 'ambita', 'catalog']) expect(await run(p), p).toMatchObject({ code: 0 });
    expect(await koppel(config, 'order', 'planviewer', '--address', 'Castellastraat 2, 6512EX Nijmegen', '--product', 'vraagprijsrapport')).toMatchObject({ code: 0 });
    expect(await run('pv')).toMatchObject({ code: 0, err: expect.stringMatching(/pv: succeeded .*\n {2}seen \d+, created 1/) });
    expect(await koppel(config, 'backfill', 'boats')).toMatchObject({ code: 0 });
  });

  it('3: maasplassen and the catalog rejected input', async () => {
    expect(await run('boats-bad')).toMatchObject({ code: 3, err: expect.stringContaining('boat "4711" is not in the fleet') });
    expect(await koppel(config, 'backfill', 'boats-bad')).toMatchObject({ code: 3 });
    expect(await run('catalog-bad')).toMatchObject({ code: 3, err: expect.stringMatching(/catalog-bad: rejected/) });
  });

  it('3: planviewer left a tie for a human, and a job ended in error at the vendor', async () => {
    await koppel(config, 'order', 'planviewer', '--address', 'Dorpsweg 8, 9999AA Groningen', '--product', 'vraagprijsrapport');
    expect(await run('pv')).toMatchObject({ code: 3, err: expect.stringMatching(/pv: attention[^]*waiting for a person's choice: 1/) });
    expect(await run('pv')).toMatchObject({ code: 0 }); // nothing new: the wait is in `status`, not reported again
    await koppel(config, 'order', 'planviewer', '--address', '3511ED 1', '--product', 'hypotheekinformatie');
    expect(await run('pv')).toMatchObject({ code: 3, err: expect.stringMatching(/pv: attention[^]*failed 1/) });
    expect(await lastRun('pv')).toMatchObject({ outcome: 'attention', error: null }); // a vendor job error is no koppel fault
  });

  it('3: ambita lost an order answer, the request needs attention', async () => {
    await koppel(config, 'order', 'ambita', '--product', 'WI99990001', '--cadastre', '9999-1-1-0-0', '--address', 'Infoveien 1, 9999 Infoland');
    ambita.loseNextOrderAnswers(1);
    expect(await run('ambita')).toMatchObject({ code: 3, err: expect.stringMatching(/ambita: attention[^]*failed 1/) });
    // The run record and `status` say the same word as the summary: a finished run with items for a person.
    const last = await lastRun('ambita');
    expect(last).toMatchObject({ outcome: 'attention', error: null });
    const status = await koppel(config, 'status');
    expect(status.out).toMatch(new RegExp(`run ${last.id} \\S+ attention: .*failed 1`));
  });

  it('75: skipped, another process holds the lock (each pipeline)', async () => {
    for (const p of ['boats', 'pv', 'ambita', 'catalog']) {
      const release = (await db.tryLock(`pipeline:${p}`))!;
      expect(release).toBeTypeOf('function');
      try {
        expect(await run(p), p).toMatchObject({ code: 75, err: `${p}: skipped (another process holds its lock)\n` });
      } finally {
        await release();
      }
    }
  });

  it('1: koppel could not do its job, the upstream unreachable after retries (each pipeline)', async () => {
    await koppel(config, 'order', 'planviewer', '--lot', 'ARNHEM P 530', '--product', 'kadastraledocumenten');
    for (const p of ['boats', 'pv', 'ambita', 'catalog']) expect(await run(p, down), p).toMatchObject({ code: 1, err: expect.stringMatching(new RegExp(`${p}: failed[^]*error: `)) });
  });

  it('1: bad credentials (each pipeline)', async () => {
    const wrong = await writeConfig(join(dir, 'wrong.yaml'), {
      database: { url: dbUrl },
      storage: { root: join(dir, 'files') },
      log: { level: 'silent' },
      upstreams: {
        maasplassen: { ...maasUpstream(maas), secret: 'sk.wrong-secret-0000' },
        planviewer: { base_url: pv.url, access_key: pv.credentials.access_key, secret: 'wrong', daily_order_cap: 10 },
        ambita: sandboxAmbitaConfig(ambita, { client_secret: 'wrong-secret' }),
        planogrambuilder: sandboxUpstreamConfig(plano, { password: 'wrong' }),
      },
      pipelines: [
        { name: 'boats', type: 'maasplassen-availability', source: { csv: join(dir, 'good.csv') } },
        { name: 'pv', type: 'planviewer-mirror' },
        { name: 'ambita', type: 'ambita-mirror', municipalities: ['9999'] },
        { name: 'catalog', type: 'planogram-catalog', source: { products: join(dir, 'catalog', 'products.csv') }, mapping: { products: 'mappings/products.yaml' } },
      ],
    });
    for (const p of ['boats', 'pv', 'ambita', 'catalog']) expect(await run(p, wrong), p).toMatchObject({ code: 1 });
  });

  it('1: the database unreachable, for status, daemon and migrate alike', async () => {
    const nodb = await writeConfig(join(dir, 'nodb.yaml'), { database: { url: 'postgres://postgres@127.0.0.1:1/none' }, log: { level: 'silent' }, pipelines: [] });
    for (const argv of [['status'], ['daemon', '--port', '0'], ['migrate']]) expect(await koppel(nodb, ...argv), argv.join(' ')).toMatchObject({ code: 1 });
    // a database that does not exist is the config's fault
    const missing = await writeConfig(join(dir, 'missing-db.yaml'), { database: { url: `${dbUrl.replace(/\/[^/]*$/, '')}/no_such_database` }, log: { level: 'silent' }, pipelines: [] });
    expect(await koppel(missing, 'status')).toMatchObject({ code: 2, err: expect.stringMatching(/does not exist/) });
  });

  it('2: bad usage or config, before any run', async () => {
    expect(await run('nope')).toMatchObject({ code: 2 });
    expect(await koppel(config, 'backfill', 'boats', '--since', '1 June')).toMatchObject({ code: 2 });
  });
});
