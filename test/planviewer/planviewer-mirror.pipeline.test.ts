import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimForOrdering, requeueOrderRequest, resolveInterruptedOrder } from '../../src/orders/index.js';
import { planviewerMirror } from '../../src/pipelines/planviewer-mirror/pipeline.js';
import { onRequest } from '../helpers/on-request.js';
import { createWorld, PIPELINE, requestStates, type World } from './harness.js';
import { testDatabaseKinds } from '../helpers/database.js';

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

describe.each(testDatabaseKinds)('planviewer-mirror on %s', (kind) => {
  let w: World;
  afterEach(async () => w?.close());

  it('orders, follows and downloads; every request ends with a state and a reason', async () => {
    w = await createWorld(kind);
    const ok1 = await w.enqueue({ address: 'Castellastraat 2, 6512EX Nijmegen', product: 'vraagprijsrapport' });
    const ok2 = await w.enqueue({ lot: 'ARNHEM P 530', product: 'kadastraledocumenten' });
    const ok3 = await w.enqueue({ address: 'Grote Markt 1, 2011 RD Haarlem', product: 'percelenrapport' });
    const tie = await w.enqueue({ address: 'Dorpsweg 8, 9999 AA Groningen', product: 'percelenrapport' });
    const plans = await w.enqueue({ address: 'Utrechtsestraat 61, 6811LW Arnhem', product: 'bestemmingsplanrapport' });
    const ambiguous = await w.enqueue({ address: 'Keizersgracht 100, 1015AA Amsterdam', product: 'vraagprijsrapport' });
    const waitingUser = await w.enqueue({ address: '9999AA 8a', product: 'eigendomsinformatie' });
    const jobError = await w.enqueue({ address: '3511ED 1', product: 'hypotheekinformatie' });
    const nothing = await w.enqueue({ address: '1234ZZ 1', product: 'vraagprijsrapport' });
    const invalid = await w.enqueue({ product: 'vraagprijsrapport' });

    const result = await w.run();
    expect(result.outcome).toBe('attention'); // the job error counts as failed (a finished run, exit 3), and one request was rejected
    const states = await requestStates(w);
    for (const id of [ok1, ok2, ok3]) expect(states.get(id)).toMatchObject({ status: 'completed' });
    expect(states.get(plans)!.status).toBe('waiting');
    expect(states.get(plans)!.reason).toMatch(/2 intentions match rule "only"/);
    expect(states.get(ambiguous)!.status).toBe('waiting');
    expect(states.get(ambiguous)!.reason).toMatch(/no location matches the request exactly/);
    // An exact match that scores the same as another address is a tie: nothing ordered, both listed.
    expect(states.get(tie)).toMatchObject({ status: 'waiting', reason: expect.stringMatching(/"Dorpsweg 8, 9999AA Groningen" scores no better than "Dorpsweg 8a, 9999AA Groningen"/) });
    expect(states.get(tie)!.reason).toContain(`koppel order planviewer resolve ${tie} --location <uuid>`);
    const tied = (await w.t.db.kysely.selectFrom('order_requests').select('details').where('id', '=', tie).executeTakeFirstOrThrow()).details as { candidates: { title: string }[] };
    expect(tied.candidates.map((c) => c.title)).toEqual(['Dorpsweg 8, 9999AA Groningen', 'Dorpsweg 8a, 9999AA Groningen']);
    expect(states.get(waitingUser)!.status).toBe('ordered');
    expect(states.get(jobError)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/ended in error/) });
    expect(states.get(nothing)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/no location/) });
    expect(states.get(invalid)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/invalid request/) });

    // Files on disk are the sandbox's bytes.
    const files = await w.t.db.kysely.selectFrom('planviewer_files').selectAll().execute();
    expect(files).toHaveLength(3);
    for (const f of files) {
      expect(await sha256(resolve(w.root, f.path))).toBe(await w.sandbox.expectedSha256(f.job_uuid));
      expect(f.sha256).toBe(await w.sandbox.expectedSha256(f.job_uuid));
    }
    const perIntention = [...w.sandbox.ordersPerIntention().values()];
    expect(perIntention.every((n) => n === 1)).toBe(true);
    expect(w.sandbox.ordersPlaced()).toHaveLength(5);

    // The waiting-for-user job shows its choices; a choice recorded in the database is sent on the next run.
    const job = await w.t.db.kysely.selectFrom('planviewer_jobs').selectAll().where('request_id', '=', waitingUser).executeTakeFirstOrThrow();
    expect(job.status).toBe('waiting for user');
    expect(job.waiting).toMatchObject({ locaties: { '1': expect.any(String), '2': expect.any(String) } });
    await w.t.db.kysely.updateTable('planviewer_jobs').set({ selected_index: 2 }).where('job_uuid', '=', job.job_uuid).execute();
    const retrievalsBefore = new Map(w.sandbox.state.retrievals);
    await w.run();
    expect((await requestStates(w)).get(waitingUser)!.status).toBe('completed');
    expect(w.sandbox.state.jobs.get(job.job_uuid)!.selected).toBe(2);
    // Already downloaded files were not fetched again.
    for (const [uuid, n] of retrievalsBefore) expect(w.sandbox.state.retrievals.get(uuid)).toBe(n);
    expect(w.sandbox.ordersPlaced()).toHaveLength(5);
  });

  it('dry-run shows what would be ordered and changes nothing', async () => {
    w = await createWorld(kind);
    const id = await w.enqueue({ address: 'Castellastraat 2, 6512EX Nijmegen', product: 'vraagprijsrapport' });
    const result = await w.run({ dryRun: true });
    expect(result.outcome).toBe('dry-run');
    expect(result.plan?.actions).toContainEqual(expect.objectContaining({ action: 'order', key: `request:${id}` }));
    expect(w.sandbox.ordersPlaced()).toHaveLength(0);
    expect((await requestStates(w)).get(id)!.status).toBe('pending');
  });

  it("stops at koppel's own daily cap, below the vendor's", async () => {
    w = await createWorld(kind, { cap: 2 });
    const ids = [];
    for (const address of ['6512EX 2', '6811LW 61', '2011RD 1', '3511ED 1']) ids.push(await w.enqueue({ address, product: 'vraagprijsrapport' }));
    await w.run();
    expect(w.sandbox.ordersPlaced()).toHaveLength(2);
    const states = await requestStates(w);
    const capped = ids.filter((id) => states.get(id)!.status === 'capped');
    expect(capped).toHaveLength(2);
    // Which cap, its count and when it resets; the config key to raise.
    const row = await w.t.db.kysely.selectFrom('order_requests').selectAll().where('id', '=', capped[0]!).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ reason_code: 'daily-cap', reason: expect.stringMatching(/upstreams\.planviewer\.daily_order_cap = 2\) is reached: 2 of 2/) });
    expect(row.next_action).toMatch(/resets at \d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z \(midnight Europe\/Amsterdam\)/);
    await w.run();
    expect(w.sandbox.ordersPlaced()).toHaveLength(2);
  });

  it("treats the vendor's 429 as stop-for-today and 402 as needs-attention, never retried", async () => {
    w = await createWorld(kind, { cap: 50, sandbox: { dailyCap: 1, capGrace: 0 } });
    const a = await w.enqueue({ address: '6512EX 2', product: 'vraagprijsrapport' });
    const b = await w.enqueue({ address: '6811LW 61', product: 'vraagprijsrapport' });
    const c = await w.enqueue({ address: '3511ED 1', product: 'vraagprijsrapport' });
    await w.run();
    let states = await requestStates(w);
    expect(states.get(a)!.status).toBe('completed');
    // The vendor's cap holds the refused request and the untried one alike, each saying so.
    expect(states.get(b)).toMatchObject({ status: 'capped', reason: expect.stringMatching(/Planviewer's own daily order cap .* \(429/) });
    expect(states.get(c)).toMatchObject({ status: 'capped', reason: expect.stringMatching(/Planviewer's own daily order cap .* \(429/) });
    const orderCalls = () => w.sandbox.requests.filter((r) => r.path.endsWith('/jobs/order')).length;
    expect(orderCalls()).toBe(2); // the 429 was not retried, and c was not tried
    await w.run();
    expect(orderCalls()).toBe(2); // blocked for the rest of the day, across runs
    states = await requestStates(w);
    expect(states.get(c)).toMatchObject({ status: 'capped', reason: expect.stringMatching(/ordering on planviewer is stopped for .*daily order cap answered \(429\)/) });

    await w.t.db.kysely.deleteFrom('order_days').execute(); // a new day
    w.sandbox.state.dailyCap = 100;
    w.sandbox.setPaymentOnAccount(false);
    await w.run();
    states = await requestStates(w);
    expect(states.get(b)).toMatchObject({ status: 'needs-attention', reason: expect.stringMatching(/402/) });
    expect(states.get(c)).toMatchObject({ status: 'pending', reason: expect.stringMatching(/stopped .*payment on account is not enabled \(402\)/) });
    expect(orderCalls()).toBe(3);
  });

  it("journals an order call's retries under its run, and orders once", async () => {
    w = await createWorld(kind);
    const id = await w.enqueue({ address: '6512EX 2', product: 'vraagprijsrapport' });
    // The first order call is rate limited (a plain 429 with Retry-After: nothing was ordered); the retry gets through.
    let orderCalls = 0;
    onRequest(w.sandbox.requests, (r) => {
      if (r.path.endsWith('/jobs/order')) w.sandbox.faults.set({ rateLimitRate: ++orderCalls === 1 ? 1 : 0, retryAfterSeconds: 0 });
    });
    const result = await w.run();
    expect(result.outcome).toBe('succeeded');
    expect((await requestStates(w)).get(id)!.status).toBe('completed');
    expect(orderCalls).toBe(2);
    expect(w.sandbox.ordersPlaced()).toHaveLength(1);
    const lines = await w.t.db.kysely.selectFrom('run_events').select(['message', 'fields']).where('run_id', '=', result.runId!).where('kind', '=', 'log').execute();
    const retries = lines.filter((l) => l.message === 'upstream call failed, retrying');
    expect(retries.map((l) => l.fields)).toEqual([expect.objectContaining({ upstream: 'planviewer', op: 'order', attempt: 1, reason: 'backoff requested' })]);
  });

  it('leaves an order with an unknown outcome for a human, never re-ordered', async () => {
    w = await createWorld(kind, { sandbox: { wireFaults: { lostOrderResponseRate: 1 } } });
    const id = await w.enqueue({ address: '6512EX 2', product: 'vraagprijsrapport' });
    const result = await w.run();
    expect(result.outcome).toBe('attention');
    const s = (await requestStates(w)).get(id)!;
    expect(s.status).toBe('needs-attention');
    expect(s.reason).toMatch(/outcome unknown/);
    w.sandbox.wireFaults.lostOrderResponseRate = 0;
    await w.run();
    expect(w.sandbox.ordersPlaced()).toHaveLength(1);
    expect(w.sandbox.requests.filter((r) => r.path.endsWith('/jobs/order'))).toHaveLength(1);
    expect((await requestStates(w)).get(id)!.status).toBe('needs-attention');
  });

  it('sanitises hostile vendor filenames and recovers from truncated downloads', async () => {
    w = await createWorld(kind, { sandbox: { hostileFilenames: true, wireFaults: { truncateRate: 0.5 }, faults: { seed: 7 } } });
    const addresses = ['6512EX 2', '6811LW 61', '2011RD 1', '3511ED 1', '5611EB 12', '9999AA 8a'];
    for (const address of addresses) await w.enqueue({ address, product: 'vraagprijsrapport' });
    await w.run();
    await w.run();
    const files = await w.t.db.kysely.selectFrom('planviewer_files').selectAll().execute();
    expect(files).toHaveLength(addresses.length);
    for (const f of files) {
      const abs = resolve(w.root, f.path);
      expect(abs.startsWith(join(w.root, 'planviewer', f.job_uuid) + '/')).toBe(true);
      expect(f.path).not.toMatch(/[\u0000-\u001f]/);
      expect(await sha256(abs)).toBe(await w.sandbox.expectedSha256(f.job_uuid));
    }
  });

  it('orders a waiting request once a human picks the location, and shows pending work in status', async () => {
    w = await createWorld(kind);
    const id = await w.enqueue({ address: 'Keizersgracht 100, 1015AA Amsterdam', product: 'vraagprijsrapport' });
    await w.run();
    const row = await w.t.db.kysely.selectFrom('order_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('waiting');
    expect(row.reason).toContain(`koppel order planviewer resolve ${id} --location`);
    const candidates = (row.details as { candidates: { uuid: string; title: string }[] }).candidates;
    expect(candidates.map((c) => c.title)).toEqual(['Keizersgracht 100-1, 1015AA Amsterdam', 'Keizersgracht 100-2, 1015AA Amsterdam']);
    const status = await planviewerMirror.status!({ db: w.t.db.kysely, config: w.config.pipelines[0]!.settings as never, pipeline: PIPELINE, global: w.config });
    expect(status).toMatchObject({
      requests: { waiting: 1 },
      waiting: [{ request: id, state: 'waiting', code: 'choice-needed', next: `koppel order planviewer resolve ${id} --location <uuid> (one of the candidates)` }],
    });
    expect((status.waiting as { candidates: string[] }[])[0]!.candidates).toEqual(candidates.map((c) => expect.stringContaining(`${c.uuid}  ${c.title}`)));

    await requeueOrderRequest(w.t.db.kysely, id, { location_uuid: candidates[1]!.uuid });
    await w.run();
    expect((await requestStates(w)).get(id)!.status).toBe('completed');
    const job = w.sandbox.jobs()[0]!;
    expect(job.location).toBe(candidates[1]!.uuid);
    expect(w.logs.text).not.toContain('pv-demo-secret');
  });

  it('follows an interrupted order once a human says which job it became', async () => {
    w = await createWorld(kind);
    const id = await w.enqueue({ address: '6512EX 2', product: 'vraagprijsrapport' });
    const plan = await w.run({ dryRun: true });
    const intention = (plan.plan!.actions.find((a) => a.action === 'order')!.detail as { intention: string }).intention;
    // A run that died right after the order call: intent recorded, job placed upstream, answer never stored.
    await claimForOrdering(w.t.db.kysely, {
      requestId: id,
      upstream: 'planviewer',
      pipeline: PIPELINE,
      target: intention,
      dailyCap: 10,
      timeZone: 'Europe/Amsterdam',
      details: { location: { uuid: 'l', title: 'Castellastraat 2' }, product: 'vraagprijsrapport', intention: { uuid: intention } },
    });
    const account = w.sandbox.state.accounts.get('pv-demo-access-key')!;
    const placed = w.sandbox.state.order(account, [intention]);
    const jobUuid = 'jobs' in placed ? placed.jobs[0]!.job : '';
    const result = await w.run();
    expect(result.outcome).toBe('attention');
    expect((await requestStates(w)).get(id)).toMatchObject({ status: 'needs-attention', reason: expect.stringMatching(/may or may not have placed/) });
    expect(w.sandbox.ordersPlaced()).toHaveLength(1);

    await w.t.db.kysely.transaction().execute(async (trx) => {
      await resolveInterruptedOrder(trx, id, { ordered: jobUuid });
      await trx
        .insertInto('planviewer_jobs')
        .values({ job_uuid: jobUuid, request_id: id, pipeline: PIPELINE, product: 'vraagprijsrapport', intention_uuid: intention })
        .execute();
    });
    await w.run();
    expect((await requestStates(w)).get(id)!.status).toBe('completed');
    expect(w.sandbox.ordersPlaced()).toHaveLength(1);
  });

  it('with --full, fetches again a file that disappeared from disk, and only that one', async () => {
    w = await createWorld(kind);
    await w.enqueue({ address: '6512EX 2', product: 'vraagprijsrapport' });
    await w.enqueue({ address: '6811LW 61', product: 'vraagprijsrapport' });
    await w.run();
    const [gone, kept] = await w.t.db.kysely.selectFrom('planviewer_files').selectAll().orderBy('job_uuid').execute();
    await rm(resolve(w.root, gone!.path));
    await w.run();
    expect(w.sandbox.state.retrievals.get(gone!.job_uuid)).toBe(1); // a plain run trusts its index
    await w.run({ full: true });
    expect(w.sandbox.state.retrievals.get(gone!.job_uuid)).toBe(2);
    expect(w.sandbox.state.retrievals.get(kept!.job_uuid)).toBe(1);
    expect(await sha256(resolve(w.root, gone!.path))).toBe(await w.sandbox.expectedSha256(gone!.job_uuid));
  });
});
