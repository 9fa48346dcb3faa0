/**
 * The state issue 13 asks `koppel status` to explain, built by real runs against the sandboxes: a capped
 * request, a tie, a job waiting for the user's choice, a request needing attention, a failed paid order, an entry
 * Maasplassen refused, and an Ambita order Ambita cancelled. Every one must show its reason and next action.
 * With KOPPEL_STATUS_EXAMPLE=<path> the text is also written there (how /work/notes/status-example.txt was made).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectStatus, formatStatus } from '../../src/cli/commands/status.js';
import { claimForOrdering, enqueueOrderRequest } from '../../src/orders/index.js';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { type AmbitaSandbox, startAmbitaSandbox } from '../../sandbox/ambita/server.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { PLANVIEWER_DEMO_CREDENTIALS, type PlanviewerSandbox, startPlanviewerSandbox } from '../../sandbox/planviewer/server.js';
import { CADASTRE_REQUEST } from '../ambita/harness.js';
import { sandboxAmbitaConfig } from '../ambita/fixtures.js';
import { maasUpstream } from '../fixtures/koppel-process.js';
import { type TestApp, createTestApp } from '../helpers/app.js';
import { testDatabaseKinds } from '../helpers/database.js';

const FAST = { retry: { base_delay_ms: 1, max_delay_ms: 5, max_attempts: 3 }, rate: { concurrency: 8, per_second: 10_000 } };

describe('koppel status explains every item that did not go through', () => {
  let pv: PlanviewerSandbox;
  let ambita: AmbitaSandbox;
  let maas: MaasplassenSandbox;
  let app: TestApp | undefined;
  afterAll(async () => {
    await app?.dispose();
    await Promise.all([pv?.close(), ambita?.close(), maas?.close()]);
  });

  it('shows the cap, the tie with its candidates, the job waiting for a choice, needs-attention, a failed paid order, a refused entry and a cancelled order', async () => {
    [pv, ambita, maas] = await Promise.all([startPlanviewerSandbox(), startAmbitaSandbox({ pushLossRate: 1 }), startMaasplassenSandbox()]);
    let csv = '';
    app = await createTestApp(
      testDatabaseKinds[0]!,
      (dir) => {
        csv = join(dir, 'availability.csv');
        return {
          storage: { root: join(dir, 'files') },
          upstreams: {
            planviewer: { base_url: pv.url, ...PLANVIEWER_DEMO_CREDENTIALS, daily_order_cap: 2, ...FAST },
            ambita: sandboxAmbitaConfig(ambita),
            maasplassen: maasUpstream(maas),
          },
          pipelines: [
            { name: 'notary', type: 'planviewer-mirror', poll: { initial_delay_ms: 0, max_delay_ms: 0, max_wait_ms: 30_000 } },
            { name: 'kode', type: 'ambita-mirror', municipalities: ['9999'] },
            { name: 'boats', type: 'maasplassen-availability', source: { csv } },
          ],
        };
      },
      { MAAS_SECRET: String(maas.credentials.secret) },
    );
    const db = app.db.kysely;
    const queue = async (upstream: 'planviewer' | 'ambita', pipeline: string, request: Record<string, unknown>) =>
      (await enqueueOrderRequest(db, { upstream, pipeline, request })).request.id;

    // Planviewer: a tie, a job that will wait for the user, a job that ends in error (paid), one past the cap of 2,
    // and one whose order was interrupted yesterday (its placement counts for yesterday, not today).
    const tie = await queue('planviewer', 'notary', { address: 'Dorpsweg 8, 9999AA Groningen', product: 'vraagprijsrapport' });
    const choice = await queue('planviewer', 'notary', { address: '9999AA 8a', product: 'eigendomsinformatie' });
    const jobError = await queue('planviewer', 'notary', { address: '3511ED 1', product: 'hypotheekinformatie' });
    const capped = await queue('planviewer', 'notary', { address: '6811LW 61', product: 'vraagprijsrapport' });
    const interrupted = await queue('planviewer', 'notary', { address: '5611EB 12', product: 'vraagprijsrapport' });
    const yesterday = new Date(Date.now() - 86_400_000);
    const claim = await claimForOrdering(db, { requestId: interrupted, upstream: 'planviewer', pipeline: 'notary', target: 'intention-x', dailyCap: 2, timeZone: 'Europe/Amsterdam', now: yesterday });
    expect(claim.ok).toBe(true);
    const pvRun = await app.runner.run('notary');
    expect(pvRun.error).toBeUndefined();

    // Ambita: an order placed, then cancelled by Ambita (its push lost); a run by hand reconciles it.
    const cancelled = await queue('ambita', 'kode', CADASTRE_REQUEST);
    await app.runner.run('kode');
    const order = [...ambita.book.orders.values()][0]!;
    await ambita.cancel(order.id);
    await app.runner.run('kode', { startedBy: 'person' });

    // Maasplassen: boat 92 leaves the fleet after koppel read it, so only the service refuses its entries.
    await writeAvailabilityCsv(csv, exampleAvailability(['91', '92'], dateRange('2027-06-01', 1)));
    app.events.on('upstream:request', (e) => {
      if (e.op === 'fleet' && e.ok) maas.removeBoat(1, '92');
    });
    await app.runner.run('boats');

    const text = formatStatus(await collectStatus(app));
    if (process.env.KOPPEL_STATUS_EXAMPLE) await writeFile(process.env.KOPPEL_STATUS_EXAMPLE, text);
    const section = (name: string) => text.slice(text.indexOf(`${name} (`), text.indexOf('\n', text.indexOf(`${name} (`)) + 1) + text.slice(text.indexOf('\n', text.indexOf(`${name} (`)) + 1).split(/\n(?=\S)/)[0];

    const notary = section('notary');
    // Today's orders against both caps.
    expect(notary).toMatch(/orders today \(\d{4}-\d\d-\d\d\): 2 placed/);
    expect(notary).toMatch(/koppel's cap: 2 of 2 \(upstreams\.planviewer\.daily_order_cap\); 0 left; resets \S+Z \(midnight Europe\/Amsterdam\)/);
    expect(notary).toContain("vendor's cap: the account's own cap");
    // The capped request: which cap, its count, when it resets, what to do.
    expect(notary).toMatch(new RegExp(`held by a daily cap \\(1\\):\\n    #${capped} 6811LW 61, vraagprijsrapport: koppel's daily order cap for planviewer \\(upstreams\\.planviewer\\.daily_order_cap = 2\\) is reached: 2 of 2`));
    expect(notary).toMatch(/next: none: ordered by the first run after the cap resets at \S+Z \(midnight Europe\/Amsterdam\); to order more today, raise upstreams\.planviewer\.daily_order_cap/);
    // The tie: waiting, with both candidates and the command that answers it.
    expect(notary).toMatch(new RegExp(`waiting for a choice \\(1\\):\\n    #${tie} Dorpsweg 8, 9999AA Groningen, vraagprijsrapport: .*Dorpsweg 8a`));
    expect(notary).toMatch(/candidates:\n        \S+  Dorpsweg 8, 9999AA Groningen, score ([\d.]+)\n        \S+  Dorpsweg 8a, 9999AA Groningen, score \1\n/);
    expect(notary).toContain(`next: koppel order planviewer resolve ${tie} --location <uuid>`);
    // The job waiting for the user's choice, with its choices and the command.
    const job = await db.selectFrom('planviewer_jobs').select('job_uuid').where('request_id', '=', choice).executeTakeFirstOrThrow();
    expect(notary).toMatch(new RegExp(`jobs waiting for the user's choice \\(1\\):\\n    job ${job.job_uuid} \\(request #${choice}\\): 1: .+\\n      next: koppel order planviewer select ${job.job_uuid} <index>`));
    expect(notary).toMatch(new RegExp(`not done yet, with a reason \\(1\\):\\n    #${choice} \\(ordered\\) 9999AA 8a, eigendomsinformatie \\[vendor id ${job.job_uuid}\\]: Planviewer job ${job.job_uuid} waits for a choice`));
    // Needs attention: the interrupted order and how to resolve it.
    expect(notary).toMatch(new RegExp(`needs attention \\(1\\):\\n    #${interrupted} 5611EB 12, vraagprijsrapport: interrupted after recording the intent to order`));
    expect(notary).toContain(`next: check the planviewer account, then \`koppel order planviewer resolve ${interrupted} --ordered <order id>\` or \`--not-ordered\``);
    // The failed paid order, with the vendor's job id.
    const errJob = await db.selectFrom('planviewer_jobs').select('job_uuid').where('request_id', '=', jobError).executeTakeFirstOrThrow();
    expect(notary).toMatch(new RegExp(`failed paid orders \\(1\\):\\n    #${jobError} 3511ED 1, hypotheekinformatie \\[vendor id ${errJob.job_uuid}\\]: Planviewer job ${errJob.job_uuid} ended in error`));

    // Ambita's cancellation in its own state, with the order id.
    const kode = section('kode');
    expect(kode).toMatch(new RegExp(`cancelled by the vendor \\(1\\):\\n    #${cancelled} 9999-1-1-0-0 \\(Infoveien 1, 9999 Infoland\\), WI99990001\\+WI99990002 \\[vendor id ${order.id}\\]: Ambita cancelled order ${order.id}`));
    expect(kode).toContain("vendor's cap: Ambita documents no daily cap");

    // The refused Maasplassen entry, with its file and line like a local rejection.
    const boats = section('boats');
    expect(boats).toMatch(new RegExp(`rejected in the last run:\\n    ${csv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, line \\d+: refused by Maasplassen: .*boat not found in the fleet.* \\(92\\|2027-06-01\\)`));
  });
});
