/**
 * The console in a real browser (chromium + playwright-core), against a daemon on the sandboxes: every page
 * and action below goes through the HTML a person gets, over real sockets.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimForOrdering, enqueueOrderRequest, reconcileInterruptedOrders } from '../../src/orders/index.js';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { pollUntil } from '../fixtures/poll.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { type ConsoleWorld, LEAKY_SECRET, SHOTS, USERS, createConsoleWorld, hasChromium } from './console-world.js';

const kind = testDatabaseKinds[0]!;

describe.skipIf(!hasChromium)(`console in chromium (${kind})`, () => {
  let w: ConsoleWorld;
  let operator: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    w = await createConsoleWorld(kind);
    operator = await w.browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 800 } });
    page = await operator.newPage();
  }, 120_000);
  afterAll(async () => {
    await operator?.close();
    await w?.close();
  });

  const db = () => w.app.db.kysely;
  const lastRun = (pipeline: string) => db().selectFrom('runs').selectAll().where('pipeline', '=', pipeline).orderBy('id', 'desc').executeTakeFirst();
  const requestState = async (id: number) => (await db().selectFrom('order_requests').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

  async function signIn(p: Page, user: { name: string; password: string }) {
    await p.goto(w.base);
    expect(p.url()).toBe(`${w.base}login`); // no session: sent to sign in
    await p.getByLabel('Name').fill(user.name);
    await p.getByLabel('Password').fill(user.password);
    await submit(p, p.getByRole('button', { name: 'Sign in' }));
  }

  /** Clicks "Run now" for a pipeline and waits until the run it started has ended. */
  async function runNow(pipeline: string) {
    const before = Number((await lastRun(pipeline))?.id ?? 0);
    await page.goto(w.base);
    await submit(page, page.getByRole('button', { name: `Run ${pipeline} now` }));
    expect(await page.getByRole('status').innerText()).toContain(`Run of ${pipeline} requested by ${USERS.operator.name}`);
    return pollUntil(`a finished run of ${pipeline}`, async () => {
      const run = await lastRun(pipeline);
      return run && Number(run.id) > before && run.ended_at ? run : undefined;
    }, 30_000);
  }

  it('signs an operator in; the session cookie is HttpOnly and SameSite=Strict', async () => {
    await signIn(page, USERS.operator);
    expect(page.url()).toBe(w.base);
    expect((await page.getByRole('heading', { level: 1 }).innerText()).trim()).toBe('Pipelines');
    const cookie = (await operator.cookies()).find((c) => c.name === 'koppel_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/console/' });
  });

  it("shows a run's rejections with file, line and column, and downloads them as CSV", async () => {
    await writeAvailabilityCsv(w.csv, exampleAvailability(['91', '92'], dateRange('2027-06-01', 5)), [
      '91,2027-02-30,ja,Hele dag,,9500,,,', // line 12: no such date
      '=HYPERLINK("x"),2027-06-01,ja,Hele dag,,9500,,,', // line 13: not in the fleet, and a formula to defuse
    ]);
    const run = await runNow('boats');
    expect(run.outcome).toBe('rejected');
    await page.goto(w.base);
    await submit(page, page.getByRole('link', { name: 'rejected' }).first());
    expect((await page.getByRole('heading', { level: 1 }).innerText()).trim()).toBe(`Run ${Number(run.id)} of boats`);
    const rows = page.locator('#rejections tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().innerText()).toContain('12');
    expect(await rows.first().innerText()).toContain('date');
    expect(await rows.first().innerText()).toContain('expected a date YYYY-MM-DD');
    await page.screenshot({ path: join(SHOTS, 'run-rejections.png'), fullPage: true });

    // The run's timeline: the runner's plan and apply, then the pipeline's own push phase, each with how long it took.
    const phases = page.locator('#timeline tbody tr');
    expect(await phases.locator('th').allInnerTexts()).toEqual(['plan', 'apply', 'push']);
    expect(await phases.nth(2).innerText()).toMatch(/\+\d+ ms|\+\d+ s/);
    expect(await phases.nth(2).locator('td').nth(2).innerText()).toBe('10 of 10');
    // Its log lines, first and last, with their fields.
    const log = page.locator('#log tbody tr');
    expect(await log.first().innerText()).toMatch(/info\s+run started/);
    expect(await log.last().innerText()).toMatch(/info\s+run finished\s+.*outcome=rejected/);
    const [from, to] = [await page.locator('#timeline').boundingBox(), await page.locator('#log').boundingBox()];
    await page.screenshot({ path: join(SHOTS, 'run-timeline-log.png'), fullPage: true, clip: { x: 0, y: from!.y - 8, width: 1100, height: to!.y + to!.height - from!.y + 16 } });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download this run's rejections/ }).click()]);
    expect(download.suggestedFilename()).toBe(`rejections-run-${Number(run.id)}.csv`);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('run,pipeline,kind,file,line,column,item,reason,value');
    expect(lines[1]).toMatch(new RegExp(`^${Number(run.id)},boats,rejected,[^,]*availability\\.csv,12,date,`));
    // A spreadsheet must show the bad value as text, not run it.
    expect(lines[2]).toContain(`"'=HYPERLINK(""x"")"`);
  });

  it("shows a failed run's error in its log, and never a configured secret the error quoted", async () => {
    const run = await runNow('leaky');
    expect(run.outcome).toBe('failed');
    await page.goto(`${w.base}runs/${Number(run.id)}`);
    const failed = page.locator('#log tbody tr', { hasText: 'run failed' });
    expect(await failed.innerText()).toMatch(/^\S+\s+error\s+run failed\s+err=.*no-export-\[redacted\]\.csv/);
    expect(await page.locator('#timeline tbody th').allInnerTexts()).toEqual(['plan']);
    expect(await page.content()).not.toContain(LEAKY_SECRET);
    // The line was stored scrubbed (the logger's net), not only shown so.
    const stored = await db().selectFrom('run_events').select('fields').where('run_id', '=', Number(run.id)).execute();
    expect(JSON.stringify(stored)).not.toContain(LEAKY_SECRET);
  });

  it('answers an ambiguous Planviewer address by choosing a candidate; the request is ordered and its file listed', async () => {
    // Queued through the console's own form: the same checks as `koppel order planviewer`.
    await page.goto(`${w.base}orders`);
    await page.getByLabel('Address (postcode and house number)').fill('Dorpsweg 8, 9999 AA Groningen');
    await page.getByLabel('Product', { exact: true }).fill('percelenrapport');
    await submit(page, page.getByRole('button', { name: 'Queue order request' }));
    const queued = await page.getByRole('status').textContent();
    const id = Number(/#(\d+)/.exec(queued ?? '')?.[1]);
    expect(id).toBeGreaterThan(0);

    await runNow('pv');
    expect(await requestState(id)).toBe('waiting');
    await page.goto(`${w.base}orders`);
    await submit(page, page.getByRole('link', { name: `#${id}` }));
    expect((await page.locator('#request-state').innerText()).trim()).toBe('waiting');
    expect(await page.getByRole('group', { name: 'Candidates' }).innerText()).toContain('Dorpsweg 8a, 9999AA Groningen');
    await page.screenshot({ path: join(SHOTS, 'request-waiting.png'), fullPage: true });
    await page.getByLabel(/^Dorpsweg 8, 9999AA Groningen/).check();
    await submit(page, page.getByRole('button', { name: 'Order this one' }));
    expect(await page.getByRole('status').innerText()).toContain(`request #${id} answered with location Dorpsweg 8, 9999AA Groningen`);
    expect((await page.locator('#request-state').innerText()).trim()).toBe('pending');

    await runNow('pv');
    await page.goto(`${w.base}orders/${id}`);
    expect(await page.locator('#request-state').innerText()).toMatch(/ordered|completed/);
    const file = page.locator('table tbody tr').first();
    expect(await file.innerText()).toContain('pv');
    expect(await file.getByRole('link').count()).toBe(2); // the file, and its request
    const [download] = await Promise.all([page.waitForEvent('download'), file.getByRole('link').first().click()]);
    const stored = await db().selectFrom('planviewer_files').select(['size']).where('request_id', '=', id).executeTakeFirstOrThrow();
    expect((await readFile((await download.path())!)).length).toBe(Number(stored.size));
    const answered = await db().withTables<{ console_actions: { actor: string; action: string; target: string; outcome: string } }>().selectFrom('console_actions').selectAll().where('action', '=', 'order.answer').execute();
    expect(answered).toEqual([expect.objectContaining({ actor: USERS.operator.name, target: `order_request:${id}`, outcome: 'done' })]);

    // The same order, seen from the money chart, the files page and the upstream counters.
    await page.goto(`${w.base}orders`);
    expect(await page.locator('svg[aria-label^="planviewer orders per day"]').getAttribute('aria-label')).toMatch(/^planviewer orders per day: 1 order placed over 30 days, at most 1 a day, against koppel's cap of 5 a day/);
    await page.goto(`${w.base}files`);
    expect(await page.getByRole('link', { name: `#${id}` }).count()).toBe(1);
    await page.goto(`${w.base}upstreams`);
    const planviewer = page.getByRole('row', { name: /^planviewer/ });
    expect(Number((await planviewer.locator('td').first().innerText()).trim())).toBeGreaterThan(0);
    await page.setViewportSize({ width: 390, height: 844 }); // a phone
    await page.goto(`${w.base}orders/${id}`);
    await page.screenshot({ path: join(SHOTS, 'request-ordered-phone.png'), fullPage: true });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390); // nothing to scroll sideways
    await page.setViewportSize({ width: 1100, height: 800 });
  });

  it('answers a Planviewer job waiting for the user; the next run sends the choice and the job finishes', async () => {
    await page.goto(`${w.base}orders`);
    await page.getByLabel('Address (postcode and house number)').fill('Dorpsweg 8a, 9999AA Groningen');
    await page.getByLabel('Product', { exact: true }).fill('eigendomsinformatie');
    await submit(page, page.getByRole('button', { name: 'Queue order request' }));
    const id = Number(/#(\d+)/.exec((await page.getByRole('status').textContent()) ?? '')?.[1]);
    await runNow('pv');
    await page.goto(`${w.base}orders/${id}`);
    const question = page.getByRole('group', { name: /waits for a choice/ });
    expect(await question.getByRole('radio').count()).toBeGreaterThan(1);
    await question.getByRole('radio').first().check();
    await submit(page, page.getByRole('button', { name: 'Send this choice' }));
    expect(await page.getByRole('status').innerText()).toMatch(/^choice 1 \(".+"\) recorded for job /);
    const job = await db().selectFrom('planviewer_jobs').select(['selected_index', 'selected_by']).where('request_id', '=', id).executeTakeFirstOrThrow();
    expect(job).toEqual({ selected_index: 1, selected_by: USERS.operator.name });
    await runNow('pv');
    expect(await requestState(id)).toBe('completed');
  });

  it('queues an Ambita order and follows one placed outside koppel; the next run orders and mirrors both', async () => {
    await page.goto(`${w.base}orders`);
    const queue = async (cadastre: string, extra: Record<string, string> = {}) => {
      await page.getByLabel('Product codes (separated by spaces or commas)').fill('WI99990001');
      await page.getByLabel('Cadastre (knr-gnr-bnr-fnr-snr)').fill(cadastre);
      await page.getByLabel('Address', { exact: true }).fill('Infoveien 1, 9999 Infoland');
      for (const [label, value] of Object.entries(extra)) await page.getByLabel(label).fill(value);
      await submit(page, page.getByRole('button', { name: 'Queue Ambita order request' }));
    };
    await queue('9999-1-1-0-0');
    const id = Number(/queued order request #(\d+)/.exec((await page.getByRole('status').textContent()) ?? '')?.[1]);
    expect(id).toBeGreaterThan(0);
    // The same request twice is refused (it would be paid twice), as `koppel order ambita` refuses it.
    await queue('9999-1-1-0-0');
    expect(await page.getByRole('alert').innerText()).toContain(`already queued as request #${id}`);
    // A cadastre and a share order at once: refused, nothing queued.
    await queue('9999-1-2-0-0', { 'Share number': '42' });
    expect(await page.getByRole('alert').innerText()).toContain('expected one kind of order: a cadastre (and address), an organisation and share number, or a map area');
    expect((await db().selectFrom('order_requests').select('id').where('upstream', '=', 'ambita').execute()).map((r) => Number(r.id))).toEqual([id]);

    const outside = await w.ambita.placeOrder({ productCodes: ['WI99990001'], cadastre: '9999-1-4-0-0' });
    await page.getByLabel('Ambita order id').fill(String(outside.id));
    await submit(page, page.getByRole('button', { name: 'Follow this order' }));
    expect(await page.getByRole('status').innerText()).toBe(`order ${outside.id} is followed by kode from its next run`);

    await runNow('kode');
    expect(await requestState(id)).toMatch(/ordered|completed/);
    const followed = await db().selectFrom('ambita_orders').select(['order_id', 'request_id']).orderBy('order_id').execute();
    expect(followed.map((o) => Number(o.order_id))).toContain(outside.id);
    expect(followed.filter((o) => Number(o.request_id) === id)).toHaveLength(1);
    const actions = await db().withTables<{ console_actions: { id: number; actor: string; action: string; target: string; outcome: string } }>().selectFrom('console_actions').selectAll().where('action', 'in', ['order.queue', 'order.track']).where('target', 'like', '%ambita%').orderBy('id').execute();
    expect(actions.map((a) => `${a.action} ${a.outcome} ${a.actor}`)).toEqual([
      `order.queue done ${USERS.operator.name}`,
      `order.queue refused ${USERS.operator.name}`,
      `order.queue refused ${USERS.operator.name}`,
      `order.track done ${USERS.operator.name}`,
    ]);
  });

  it('queues an Ambita map order from GeoJSON, with the checks `koppel order ambita --map` makes; the next run orders it', async () => {
    const ring = [[600000, 6640000], [600100, 6640000], [600100, 6640100], [600000, 6640100], [600000, 6640000]];
    const queueMap = async (geojson: string) => {
      await page.goto(`${w.base}orders`);
      await page.getByLabel('Product codes (separated by spaces or commas)').fill('WI99990005');
      await page.getByLabel(/^Area: GeoJSON/).fill(geojson);
      await page.getByLabel('Spatial reference of its coordinates').selectOption('25832');
      await submit(page, page.getByRole('button', { name: 'Queue Ambita order request' }));
    };
    // Not JSON, and a polygon of three points: refused, as the CLI refuses them.
    await queueMap('{"type": "Polygon",');
    expect(await page.getByRole('alert').innerText()).toContain('map area: expected GeoJSON with a closed Polygon, got text that is not JSON');
    await queueMap(JSON.stringify({ type: 'Polygon', coordinates: [ring.slice(0, 3)] }));
    expect(await page.getByRole('alert').innerText()).toMatch(/order request: orderData/);
    // A Feature, as GIS tools save it.
    await queueMap(JSON.stringify({ type: 'Feature', properties: { name: 'tomt' }, geometry: { type: 'Polygon', coordinates: [ring] } }));
    const id = Number(/queued order request #(\d+)/.exec((await page.getByRole('status').textContent()) ?? '')?.[1]);
    expect(id).toBeGreaterThan(0);
    const row = await db().selectFrom('order_requests').select(['request']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.request).toEqual({ products: ['WI99990005'], orderData: { geometry: { type: 'Polygon', coordinates: [ring] }, spatialReference: '25832' } });
    await runNow('kode');
    expect(await requestState(id)).toMatch(/ordered|completed/);
  });

  it('resolves a needs-attention request as not ordered, and records who did', async () => {
    const id = await interruptedRequest();
    await page.goto(`${w.base}orders?state=needs-attention`);
    await submit(page, page.getByRole('link', { name: `#${id}` }));
    expect((await page.locator('#request-state').innerText()).trim()).toBe('needs-attention');
    await submit(page, page.getByRole('button', { name: 'It was not ordered: queue it again' }));
    expect(await page.getByRole('status').innerText()).toContain(`request #${id} recorded as not ordered`);
    expect(await requestState(id)).toBe('pending');
    await page.goto(`${w.base}actions`);
    expect(await page.locator('tbody tr').first().innerText()).toContain(`${USERS.operator.name} (operator)`);
    expect(await page.locator('tbody tr').first().innerText()).toContain(`order_request:${id}`);
  });

  it("resolves an Ambita needs-attention request as ordered with the vendor's order id; the next run follows that order", async () => {
    const placed = await w.ambita.placeOrder({ productCodes: ['WI99990001'], cadastre: '9999-1-7-0-0' });
    const id = await interruptedRequest('ambita');
    await page.goto(`${w.base}orders?upstream=ambita&state=needs-attention`);
    await submit(page, page.getByRole('link', { name: `#${id}` }));
    expect((await page.locator('#request-state').innerText()).trim()).toBe('needs-attention');
    // A wrong id is refused with the CLI's own message, and nothing changes.
    await page.getByLabel("It was ordered: the vendor's order id").fill('A-17');
    await submit(page, page.getByRole('button', { name: 'Record as ordered' }));
    expect(await page.getByRole('alert').innerText()).toContain('expected a positive integer, got "A-17"');
    expect(await requestState(id)).toBe('needs-attention');
    await page.getByLabel("It was ordered: the vendor's order id").fill(String(placed.id));
    await submit(page, page.getByRole('button', { name: 'Record as ordered' }));
    expect(await page.getByRole('status').innerText()).toContain(`request #${id} recorded as ordered (${placed.id})`);
    expect(await requestState(id)).toBe('ordered');
    const action = await db().withTables<{ console_actions: { id: number; actor: string; action: string; target: string; outcome: string } }>().selectFrom('console_actions').selectAll().where('action', '=', 'order.resolve').where('target', '=', `order_request:${id}`).orderBy('id').execute();
    expect(action.map((a) => `${a.outcome} ${a.actor}`)).toEqual([`refused ${USERS.operator.name}`, `done ${USERS.operator.name}`]);
    await runNow('kode');
    const followed = await db().selectFrom('ambita_orders').select(['order_id', 'request_id']).where('order_id', '=', placed.id).executeTakeFirst();
    expect(followed && Number(followed.request_id)).toBe(id);
  });

  it('refuses an action without the CSRF token, and records the refusal', async () => {
    const id = await interruptedRequest();
    const res = await operator.request.post(`${w.base}orders/${id}/retry`, { form: { csrf: 'forged' }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    const none = await operator.request.post(`${w.base}orders/${id}/retry`, { form: {}, maxRedirects: 0 });
    expect(none.status()).toBe(403);
    expect(await requestState(id)).toBe('needs-attention');
    const refused = await db().withTables<{ console_actions: { actor: string; target: string; outcome: string; message: string } }>().selectFrom('console_actions').selectAll().where('target', '=', `orders/${id}/retry`).execute();
    expect(refused).toEqual([expect.objectContaining({ actor: USERS.operator.name, outcome: 'refused', message: 'missing or wrong CSRF token' }), expect.objectContaining({ outcome: 'refused' })]);
  });

  it('lets a viewer look but not act', async () => {
    const viewer = await w.browser.newContext();
    try {
      const p = await viewer.newPage();
      await signIn(p, USERS.viewer);
      expect((await p.getByRole('heading', { level: 1 }).innerText()).trim()).toBe('Pipelines');
      expect(await p.getByRole('button', { name: /Run .* now/ }).count()).toBe(0);
      const id = await interruptedRequest();
      await p.goto(`${w.base}orders/${id}`);
      expect(await p.getByRole('button', { name: /not ordered/ }).count()).toBe(0);
      // Even with a valid token, the role decides.
      const csrf = await p.locator('input[name=csrf]').first().inputValue();
      const res = await viewer.request.post(`${w.base}orders/${id}/resolve`, { form: { csrf, answer: 'not-ordered' }, maxRedirects: 0 });
      expect(res.status()).toBe(403);
      expect(await res.text()).toContain('can look, not act');
      expect(await requestState(id)).toBe('needs-attention');

      // Signing out ends the session on the server: the old cookie, put back, opens nothing.
      const session = (await viewer.cookies()).find((c) => c.name === 'koppel_session')!;
      await submit(p, p.getByRole('button', { name: 'Sign out' }));
      expect(p.url()).toBe(`${w.base}login`);
      await viewer.addCookies([session]);
      await p.goto(`${w.base}orders`);
      expect(p.url()).toBe(`${w.base}login`);
    } finally {
      await viewer.close();
    }
  });

  it('throttles sign-in after repeated wrong passwords, even with the right one', async () => {
    const guest = await w.browser.newContext();
    try {
      const p = await guest.newPage();
      for (let i = 0; i < 3; i++) {
        await signIn(p, { name: USERS.viewer.name, password: 'wrong-password' });
        expect((await p.getByRole('alert').innerText()).trim()).toBe('Wrong name or password.');
      }
      const response = p.waitForResponse((r) => r.url() === `${w.base}login` && r.request().method() === 'POST');
      await signIn(p, USERS.viewer);
      expect((await response).status()).toBe(429);
      expect(await p.getByRole('alert').innerText()).toContain('Too many failed sign-ins');
      expect(p.url()).toBe(`${w.base}login`);
    } finally {
      await guest.close();
    }
  });

  /** Clicks something that loads a page (a form's button, a link) and waits until that page has loaded. */
  async function submit(p: Page, target: Locator) {
    await Promise.all([p.waitForEvent('framenavigated'), target.click()]);
    await p.waitForLoadState();
  }

  /** A request left as a crash leaves it: the intent to order recorded, no answer (then the run's reconcile). */
  async function interruptedRequest(upstream: 'planviewer' | 'ambita' = 'planviewer'): Promise<number> {
    const pipeline = upstream === 'planviewer' ? 'pv' : 'kode';
    const body = upstream === 'planviewer' ? { address: 'Castellastraat 2, 6512EX Nijmegen', product: 'vraagprijsrapport' } : { products: ['WI99990001'], orderData: { cadastre: '9999-1-7-0-0' } };
    const { request } = await enqueueOrderRequest(db(), { upstream, pipeline, request: body });
    const claim = await claimForOrdering(db(), { requestId: request.id, upstream, pipeline, target: upstream === 'planviewer' ? 'intention' : 'order', dailyCap: 100, timeZone: 'Europe/Amsterdam' });
    expect(claim.ok).toBe(true);
    await reconcileInterruptedOrders(db(), { upstream, pipeline });
    return request.id;
  }
});
