import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { sql } from 'kysely';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { planviewerOrderCommand } from '../../src/cli/commands/order-planviewer.js';
import { reportError } from '../../src/cli/exit-codes.js';
import { withApp } from '../../src/cli/load-app.js';

describe('koppel order planviewer', () => {
  let dir: string;
  let configPath: string;
  let lotId: number;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pv-cli-'));
    configPath = join(dir, 'koppel.yaml');
    await writeFile(
      configPath,
      stringify({
        database: { pglite_dir: join(dir, 'pglite') },
        log: { level: 'silent' },
        upstreams: { planviewer: { base_url: 'http://127.0.0.1:9', access_key: 'k', secret: 'secret-value' } },
        pipelines: [{ name: 'pv', type: 'planviewer-mirror' }],
      }),
    );
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  async function koppel(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let code = -1;
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    try {
      const program = new Command('koppel').exitOverride();
      const wrap =
        <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
        async (...args: A) => {
          try {
            code = await fn(...args);
          } catch (thrown) {
            code = reportError(thrown);
          }
        };
      planviewerOrderCommand(program.command('order'), () => configPath, wrap);
      await program.parseAsync(['node', 'koppel', 'order', 'planviewer', ...argv]);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    return { code, out, err };
  }

  const rows = () => withApp(configPath, (app) => app.db.kysely.selectFrom('order_requests').selectAll().orderBy('id').execute());

  it('queues a request once, and again only with --again', async () => {
    const first = await koppel('--address', 'Castellastraat 2, 6512EX Nijmegen', '--product', 'vraagprijsrapport');
    expect(first).toMatchObject({ code: 0, out: expect.stringMatching(/queued order request #1; it is ordered by the next run of pv/) });
    const same = await koppel('--address', '6512 ex 2', '--product', 'vraagprijsrapport');
    expect(same.out).toMatch(/already queued as request #1/);
    const again = await koppel('--address', '6512EX 2', '--product', 'vraagprijsrapport', '--again');
    expect(again.out).toMatch(/queued order request #\d+/); // (the refused duplicate used up a sequence number)
    const lot = await koppel('--lot', 'ARNHEM P 530', '--product', 'kadastraledocumenten', '--intention', 'newest');
    expect(lot.code).toBe(0);
    lotId = Number(/#(\d+)/.exec(lot.out)![1]);
    const all = await rows();
    expect(all.map((r) => r.request)).toEqual([
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
  });

  it('records a choice for a job waiting for the user, checked against its choices', async () => {
    await withApp(configPath, async (app) => {
      await app.db.kysely
        .insertInto('planviewer_jobs')
        .values({
          job_uuid: 'job-w',
          request_id: 1,
          pipeline: 'pv',
          product: 'eigendomsinformatie',
          intention_uuid: 'i',
          status: 'waiting for user',
          waiting: sql`${JSON.stringify({ locaties: { '1': 'A', '2': 'B' }, message: 'Which?' })}::jsonb`,
        })
        .execute();
    });
    expect(await koppel('select', 'job-w', '3')).toMatchObject({ code: 2, err: expect.stringMatching(/expected one of 1, 2/) });
    expect(await koppel('select', 'job-w', '2')).toMatchObject({ code: 0, out: expect.stringMatching(/choice 2 \("B"\)/) });
    const job = await withApp(configPath, (app) => app.db.kysely.selectFrom('planviewer_jobs').selectAll().executeTakeFirstOrThrow());
    expect(job.selected_index).toBe(2);
  });

  it('resolves a waiting request with a location, back to the queue', async () => {
    await withApp(configPath, (app) => app.db.kysely.updateTable('order_requests').set({ status: 'waiting', reason: 'ambiguous' }).where('id', '=', lotId).execute());
    expect(await koppel('resolve', String(lotId), '--location', 'loc-1')).toMatchObject({ code: 0 });
    const row = (await rows()).find((r) => Number(r.id) === lotId)!;
    expect(row.status).toBe('pending');
    expect(row.request).toMatchObject({ location_uuid: 'loc-1', lot: 'ARNHEM P 530' });
    expect(await koppel('resolve', String(lotId), '--not-ordered')).toMatchObject({ code: 2, err: expect.stringMatching(/no interrupted order/) });
  });
});
