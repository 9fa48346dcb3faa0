import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliOutput } from '../../src/cli/cli-args.js';
import { withApp } from '../../src/cli/load-app.js';
import { main } from '../../src/cli/program.js';
import type { App } from '../../src/core/app.js';
import { copyPgliteTemplate, createServerDatabase, hasPostgres } from '../helpers/database.js';

/**
 * `koppel order planviewer …` through the whole command line (`main`), in this process. Each test has its own
 * database, cloned from the migrated template (the server's when it runs, else the PGlite folder), and reads
 * the command's output from an injected writer: nothing patches `process.stdout`, so a test that times out
 * cannot swallow the next one's output, and no test depends on another's rows.
 */
describe('koppel order planviewer', () => {
  let dir: string;
  let configPath: string;
  let dropServer: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pv-cli-'));
    let database: Record<string, unknown>;
    if (hasPostgres) {
      const server = await createServerDatabase();
      dropServer = server.drop;
      database = { url: server.config.url };
    } else {
      database = { url: '', pglite_dir: await copyPgliteTemplate(join(dir, 'pglite')) };
    }
    configPath = join(dir, 'koppel.yaml');
    await writeFile(
      configPath,
      stringify({
        database,
        log: { level: 'silent' },
        upstreams: { planviewer: { base_url: 'http://127.0.0.1:9', access_key: 'k', secret: 'secret-value' } },
        pipelines: [{ name: 'pv', type: 'planviewer-mirror' }],
      }),
    );
  });
  afterEach(async () => {
    await dropServer?.();
    dropServer = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function koppel(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const captured = { out: '', err: '' };
    const io: CliOutput = { out: (text) => void (captured.out += text), err: (text) => void (captured.err += text) };
    const code = await main(['node', 'koppel', '--config', configPath, 'order', 'planviewer', ...argv], io);
    return { code, ...captured };
  }

  const inApp = <T>(fn: (app: App) => Promise<T>) => withApp(configPath, fn);
  const rows = () => inApp((app) => app.db.kysely.selectFrom('order_requests').selectAll().orderBy('id').execute());
  const queued = async (...argv: string[]) => {
    const res = await koppel(...argv);
    expect(res).toMatchObject({ code: 0, out: expect.stringMatching(/queued order request #\d+/) });
    return Number(/#(\d+)/.exec(res.out)![1]);
  };

  it('queues a request once, and again only with --again', async () => {
    const first = await koppel('--address', 'Castellastraat 2, 6512EX Nijmegen', '--product', 'vraagprijsrapport');
    expect(first).toMatchObject({ code: 0, out: expect.stringMatching(/queued order request #1; it is ordered by the next run of pv/) });
    const same = await koppel('--address', '6512 ex 2', '--product', 'vraagprijsrapport');
    expect(same.out).toMatch(/already queued as request #1/);
    await queued('--address', '6512EX 2', '--product', 'vraagprijsrapport', '--again'); // (the refused duplicate used up a sequence number)
    await queued('--lot', 'ARNHEM P 530', '--product', 'kadastraledocumenten', '--intention', 'newest');
    expect((await rows()).map((r) => r.request)).toEqual([
      { address: 'Castellastraat 2, 6512EX Nijmegen', product: 'vraagprijsrapport' },
      { address: '6512EX 2', product: 'vraagprijsrapport' },
      { lot: 'ARNHEM P 530', product: 'kadastraledocumenten', intention_rule: 'newest' },
    ]);
  });

  it('refuses bad usage with exit 2 and a message naming the option', async () => {
    expect(await koppel('--address', 'somewhere', '--product', 'x')).toMatchObject({ code: 2, err: expect.stringMatching(/--address: expected a postcode/) });
    expect(await koppel('--product', 'x')).toMatchObject({ code: 2, err: expect.stringMatching(/exactly one of --address or --lot/) });
    expect(await koppel('--lot', 'ARNHEM P 530', '--product', 'x', '--intention', 'whatever')).toMatchObject({ code: 2 });
    expect(await koppel('--lot', 'ARNHEM P 530', '--product', 'x', '--pipeline', 'nope')).toMatchObject({ code: 2, err: expect.stringMatching(/--pipeline/) });
    // commander's own usage errors go to the same writer
    expect(await koppel('--no-such-flag')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown option '--no-such-flag'/) });
    expect(await rows()).toEqual([]);
  });

  it('records a choice for a job waiting for the user, checked against its choices', async () => {
    const id = await queued('--lot', 'ARNHEM P 530', '--product', 'eigendomsinformatie');
    await inApp((app) =>
      app.db.kysely
        .insertInto('planviewer_jobs')
        .values({
          job_uuid: 'job-w',
          request_id: id,
          pipeline: 'pv',
          product: 'eigendomsinformatie',
          intention_uuid: 'i',
          status: 'waiting for user',
          waiting: sql`${JSON.stringify({ locaties: { '1': 'A', '2': 'B' }, message: 'Which?' })}::jsonb`,
        })
        .execute(),
    );
    expect(await koppel('select', 'job-w', '3')).toMatchObject({ code: 2, err: expect.stringMatching(/expected one of 1, 2/) });
    expect(await koppel('select', 'job-w', '2')).toMatchObject({ code: 0, out: expect.stringMatching(/choice 2 \("B"\)/) });
    const job = await inApp((app) => app.db.kysely.selectFrom('planviewer_jobs').selectAll().executeTakeFirstOrThrow());
    expect(job.selected_index).toBe(2);
  });

  it('resolves a waiting request with a location, back to the queue', async () => {
    const id = await queued('--lot', 'ARNHEM P 530', '--product', 'kadastraledocumenten', '--intention', 'newest');
    await inApp((app) => app.db.kysely.updateTable('order_requests').set({ status: 'waiting', reason: 'ambiguous' }).where('id', '=', id).execute());
    expect(await koppel('resolve', String(id), '--location', 'loc-1')).toMatchObject({ code: 0 });
    const [row] = await rows();
    expect(row!.status).toBe('pending');
    expect(row!.request).toMatchObject({ location_uuid: 'loc-1', lot: 'ARNHEM P 530' });
    expect(await koppel('resolve', String(id), '--not-ordered')).toMatchObject({ code: 2, err: expect.stringMatching(/no interrupted order/) });
  });

  it('resolve without an option shows the tie and its candidates; an answer must be one of them', async () => {
    const id = await queued('--address', 'Dorpsweg 8, 9999AA Groningen', '--product', 'vraagprijsrapport');
    const candidates = [
      { uuid: 'u-8', title: 'Dorpsweg 8, 9999AA Groningen', score: 8.7 },
      { uuid: 'u-8a', title: 'Dorpsweg 8a, 9999AA Groningen', score: 8.7 },
    ];
    const reason = 'the exact match "Dorpsweg 8, 9999AA Groningen" scores no better than "Dorpsweg 8a, 9999AA Groningen"; choose one';
    await inApp((app) =>
      app.db.kysely
        .updateTable('order_requests')
        .set({ status: 'waiting', reason, details: sql`${JSON.stringify({ candidates })}::jsonb` })
        .where('id', '=', id)
        .execute(),
    );
    const shown = await koppel('resolve', String(id));
    expect(shown.code).toBe(0);
    expect(shown.out).toBe(
      `request #${id} is waiting: ${reason}\n` +
        `candidates (koppel order planviewer resolve ${id} --location <uuid>):\n` +
        '  u-8  Dorpsweg 8, 9999AA Groningen, score 8.7\n' +
        '  u-8a  Dorpsweg 8a, 9999AA Groningen, score 8.7\n',
    );
    const wrong = await koppel('resolve', String(id), '--location', 'u-9');
    expect(wrong).toMatchObject({ code: 2, err: expect.stringMatching(/--location: expected one of the candidates of request \d+, got "u-9":\n {2}u-8 {2}Dorpsweg 8,/) });
    expect(await koppel('resolve', String(id), '--intention', 'u-8')).toMatchObject({ code: 2, err: expect.stringMatching(/waits for a location, not an intention/) });
    expect((await rows())[0]!.status).toBe('waiting'); // refused answers changed nothing
    expect(await koppel('resolve', String(id), '--location', 'u-8a')).toMatchObject({ code: 0, out: expect.stringMatching(/resolved with location u-8a {2}Dorpsweg 8a, 9999AA Groningen/) });
    expect((await rows())[0]).toMatchObject({ status: 'pending', request: { location_uuid: 'u-8a' } });
  });

  // `order planviewer` has an --intention (a rule) of its own; resolve's --intention (a uuid) must reach resolve.
  it('resolves a request waiting for an intention with --intention <uuid>, as the README prints it', async () => {
    const id = await queued('--address', 'Castellastraat 2, 6512EX Nijmegen', '--product', 'bestemmingsplanrapport');
    await inApp((app) => app.db.kysely.updateTable('order_requests').set({ status: 'waiting', reason: 'several intentions' }).where('id', '=', id).execute());
    const uuid = '0b6b8f0e-5a2c-4f3e-9d1a-7c2f4e6a8b10';
    expect(await koppel('resolve', String(id), '--intention', uuid)).toMatchObject({ code: 0, out: `request #${id} resolved; the next run picks it up\n` });
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'pending', request: { intention_rule: `uuid:${uuid}`, product: 'bestemmingsplanrapport' } });
    // a flag of the queueing form is refused by resolve, not silently dropped
    expect(await koppel('resolve', String(id), '--location', 'l', '--product', 'x')).toMatchObject({ code: 2, err: expect.stringMatching(/--product: not an option of "planviewer resolve"/) });
    // the queueing form keeps its own --intention rule
    const lot = await queued('--lot', 'ARNHEM P 530', '--product', 'kadastraledocumenten', '--intention', 'newest');
    expect((await rows()).find((r) => Number(r.id) === lot)!.request).toMatchObject({ intention_rule: 'newest' });
  });
});
