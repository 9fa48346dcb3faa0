import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { markWaiting, orderRequestStatus } from '../../src/orders/index.js';
import { queueAmbitaOrder, retryAmbitaRequest } from '../../src/pipelines/ambita-mirror/manual-answers.js';
import {
  answerPlanviewerRequest,
  planviewerRequestQuestion,
  queuePlanviewerOrder,
  retryPlanviewerRequest,
  selectJobChoice,
} from '../../src/pipelines/planviewer-mirror/manual-answers.js';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '../helpers/database.js';

/**
 * The functions behind `koppel order …` that the web console calls too: they check their own input (a caller
 * that skips the CLI gets the same refusals) and record who acted.
 */
describe.each(testDatabaseKinds)('manual answers to order requests on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => t?.drop());

  const row = (id: number) => t.db.kysely.selectFrom('order_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const tie = [
    { uuid: 'u-8', title: 'Dorpsweg 8, 9999AA Groningen', score: 8.7 },
    { uuid: 'u-8a', title: 'Dorpsweg 8a, 9999AA Groningen', score: 8.7 },
  ];

  it('answers a tie only with a listed candidate, shown as status shows it, and records who answered', async () => {
    const { request } = await queuePlanviewerOrder(t.db.kysely, { address: 'Dorpsweg 8, 9999AA Groningen', product: 'vraagprijsrapport' }, ['pv'], 'ana');
    expect((await row(request.id)).acted_by).toBe('ana');
    await markWaiting(t.db.kysely, request.id, { code: 'choice-needed', message: 'a tie', next: 'choose' }, { candidates: tie });

    // The question lists the candidates in the very lines `koppel status` shows for the request.
    const question = await planviewerRequestQuestion(t.db.kysely, request.id);
    const status = await orderRequestStatus(t.db.kysely, {
      upstream: 'planviewer',
      pipeline: 'pv',
      dailyCap: 10,
      capKey: 'daily_order_cap',
      timeZone: 'Europe/Amsterdam',
      vendorCap: () => '',
      describe: () => '',
    });
    expect(question.candidates).toEqual(['u-8  Dorpsweg 8, 9999AA Groningen, score 8.7', 'u-8a  Dorpsweg 8a, 9999AA Groningen, score 8.7']);
    expect(status.waiting.find((l) => l.request === request.id)?.candidates).toEqual(question.candidates);

    await expect(answerPlanviewerRequest(t.db.kysely, request.id, { location: 'u-9' }, 'ben')).rejects.toThrow(/expected one of the candidates/);
    await expect(answerPlanviewerRequest(t.db.kysely, request.id, { intention: 'u-8' }, 'ben')).rejects.toThrow(/waits for a location, not an intention/);
    expect(await row(request.id)).toMatchObject({ status: 'waiting', acted_by: 'ana' }); // refused answers changed nothing

    expect(await answerPlanviewerRequest(t.db.kysely, request.id, { location: 'u-8a' }, 'ben')).toEqual({ chosen: 'location u-8a  Dorpsweg 8a, 9999AA Groningen, score 8.7' });
    expect(await row(request.id)).toMatchObject({ status: 'pending', acted_by: 'ben', request: { location_uuid: 'u-8a' } });
  });

  it('refuses bad input without the command line, before writing anything', async () => {
    const before = await t.db.kysely.selectFrom('order_requests').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    await expect(queuePlanviewerOrder(t.db.kysely, { address: 'somewhere', product: 'x' }, ['pv'])).rejects.toThrow(/--address: expected a postcode/);
    await expect(queuePlanviewerOrder(t.db.kysely, { lot: 'ARNHEM P 530', product: 'x', pipeline: 'nope' }, ['pv'])).rejects.toThrow(ConfigError);
    await expect(queueAmbitaOrder(t.db.kysely, { products: ['WI99990001'], orderData: { cadastre: 'not-a-cadastre' } }, ['am'])).rejects.toThrow(ConfigError);
    const after = await t.db.kysely.selectFrom('order_requests').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('answers only its own upstream: retry of the other upstream\'s request is refused and changes nothing', async () => {
    const pv = (await queuePlanviewerOrder(t.db.kysely, { lot: 'ARNHEM P 530', product: 'kadastraledocumenten' }, ['pv'])).request;
    const am = (await queueAmbitaOrder(t.db.kysely, { products: ['WI99990001'], orderData: { cadastre: '9999-1-1-0-0', address: 'Infoveien 1, 9999 Infoland' } }, ['am'])).request;
    await markWaiting(t.db.kysely, pv.id, { code: 'choice-needed', message: 'which?', next: 'choose' });
    await markWaiting(t.db.kysely, am.id, { code: 'choice-needed', message: 'which?', next: 'choose' });
    await expect(retryAmbitaRequest(t.db.kysely, pv.id, 'ana')).rejects.toThrow(`request ${pv.id}: belongs to planviewer, not ambita`);
    await expect(retryPlanviewerRequest(t.db.kysely, am.id, 'Europe/Amsterdam', 'ana')).rejects.toThrow(`request ${am.id}: belongs to ambita, not planviewer`);
    expect(await row(pv.id)).toMatchObject({ status: 'waiting', acted_by: null });
    expect(await row(am.id)).toMatchObject({ status: 'waiting', acted_by: null });
    await retryAmbitaRequest(t.db.kysely, am.id, 'ana');
    expect(await row(am.id)).toMatchObject({ status: 'pending', acted_by: 'ana' });
  });

  it('records a job choice and who made it, checked against the job\'s choices', async () => {
    const { request } = await queuePlanviewerOrder(t.db.kysely, { lot: 'ARNHEM P 530', product: 'eigendomsinformatie' }, ['pv']);
    await t.db.kysely
      .insertInto('planviewer_jobs')
      .values({ job_uuid: 'job-w', request_id: request.id, pipeline: 'pv', product: 'eigendomsinformatie', intention_uuid: 'i', status: 'waiting for user', waiting: JSON.stringify({ locaties: { '1': 'A', '2': 'B' } }) as never })
      .execute();
    await expect(selectJobChoice(t.db.kysely, 'job-w', 3, 'ana')).rejects.toThrow(/expected one of 1, 2, got 3/);
    expect(await selectJobChoice(t.db.kysely, 'job-w', 2, 'ana')).toEqual({ index: 2, choice: 'B' });
    expect(await t.db.kysely.selectFrom('planviewer_jobs').select(['selected_index', 'selected_by']).where('job_uuid', '=', 'job-w').executeTakeFirst()).toEqual({ selected_index: 2, selected_by: 'ana' });
  });
});
