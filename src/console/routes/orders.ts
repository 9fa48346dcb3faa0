import type { Hono } from 'hono';
import { ConfigError } from '../../core/errors.js';
import { recordAction } from '../audit.js';
import { type ConsoleDeps, type Ctx, type Env, page, positiveId } from '../context.js';
import { html } from '../html.js';
import { answerJob, answerWait, choiceOf, pipelinesOfType, queueAmbitaRequest, queuePlanviewerRequest, resolveNeedsAttention, retryRequest, trackAmbita } from '../order-actions.js';
import { countRequestsByState, findRequest, jobsWaitingForUser, listFiles, listRequests, orderDays } from '../order-queries.js';
import { type MoneyPanel, ordersView, requestView } from '../views/orders.js';
import { upstreamConfig } from '../../upstreams/index.js';

export function orderRoutes(r: Hono<Env>, deps: ConsoleDeps): void {
  const { base, app } = deps;
  const db = app.db.kysely;

  r.get(`${base}orders`, async (c) => {
    const filter = { upstream: c.req.query('upstream') || undefined, state: c.req.query('state') || undefined };
    const [counts, rows, money] = await Promise.all([countRequestsByState(db), listRequests(db, filter), moneyPanels(deps)]);
    const planviewerProducts = app.config.pipelines.some((p) => p.type === 'planviewer-mirror');
    const ambitaPipelines = pipelinesOfType(app.config, 'ambita-mirror');
    return page(c, deps, 'Orders', ordersView(base, c.get('session'), { counts, rows, filter, money, planviewerProducts, ambitaPipelines }));
  });

  r.get(`${base}orders/:id`, async (c) => {
    const id = positiveId(c.req.param('id'));
    const request = id === undefined ? undefined : await findRequest(db, id);
    if (!request) return page(c, deps, 'Not found', html`<p>No such order request.</p>`, 404);
    const [files, jobs] = await Promise.all([listFiles(db, { requestId: Number(request.id) }), jobsWaitingForUser(db, Number(request.id))]);
    return page(c, deps, `Order request #${Number(request.id)}`, requestView(base, c.get('session'), { ...request, reason: request.reason && app.scrub(request.reason) }, choiceOf(request), jobs, files));
  });

  r.post(`${base}orders/:id/answer`, (c) => act(c, deps, 'order.answer', async (id, form, actor) => answerWait(db, id, String(form.uuid ?? ''), actor)));
  r.post(`${base}orders/:id/resolve`, (c) =>
    act(c, deps, 'order.resolve', async (id, form, actor) =>
      resolveNeedsAttention(db, id, form.answer === 'not-ordered' ? { notOrdered: true } : { ordered: String(form.vendor_id ?? '') }, actor),
    ),
  );
  r.post(`${base}orders/:id/retry`, (c) => act(c, deps, 'order.retry', async (id, _form, actor) => retryRequest(db, app.config, id, actor)));

  // A Planviewer job waiting for the user: the answer goes back to the request page it was asked on.
  r.post(`${base}jobs/:job/select`, async (c) => {
    const session = c.get('session');
    const job = c.req.param('job');
    const { csrf: _csrf, ...form } = await c.req.parseBody();
    const row = await db.selectFrom('planviewer_jobs').select('request_id').where('job_uuid', '=', job).executeTakeFirst();
    try {
      const message = await answerJob(db, job, positiveId(String(form.index ?? '')) ?? 0, session.user);
      await recordAction(db, { actor: session.user, role: session.role, action: 'job.select', target: `planviewer_job:${job}`, detail: form, outcome: 'done', message });
      session.flash = { kind: 'ok', text: message };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      await recordAction(db, { actor: session.user, role: session.role, action: 'job.select', target: `planviewer_job:${job}`, detail: form, outcome: 'refused', message: err.message });
      session.flash = { kind: 'error', text: err.message };
    }
    return c.redirect(row ? `${base}orders/${Number(row.request_id)}` : `${base}orders`, 303);
  });

  r.post(`${base}orders/new`, async (c) => {
    const form = await c.req.parseBody();
    const input = {
      address: str(form.address),
      lot: str(form.lot),
      product: str(form.product) ?? '',
      intention: str(form.intention),
      again: form.again === '1',
    };
    return actOnOrders(c, deps, 'order.queue', 'upstream:planviewer', input, (actor) => queuePlanviewerRequest(db, app.config, input, actor));
  });

  r.post(`${base}orders/new-ambita`, async (c) => {
    const form = await c.req.parseBody();
    const input = {
      products: str(form.products) ?? '',
      cadastre: str(form.cadastre),
      address: str(form.address),
      organization: str(form.organization),
      shareNumber: str(form.share_number),
      map: str(form.map),
      srid: str(form.srid),
      reference: str(form.reference),
      pipeline: str(form.pipeline),
      again: form.again === '1',
    };
    return actOnOrders(c, deps, 'order.queue', 'upstream:ambita', input, (actor) => queueAmbitaRequest(db, app.config, input, actor));
  });

  r.post(`${base}orders/track-ambita`, async (c) => {
    const form = await c.req.parseBody();
    const input = { order_id: str(form.order_id) ?? '', pipeline: str(form.pipeline) };
    return actOnOrders(c, deps, 'order.track', `ambita_order:${input.order_id}`, input, () => trackAmbita(db, app.config, input.order_id, input.pipeline));
  });
}

/** An action on the orders page (queue, track): run it, record it (done or refused), back to the orders page. */
async function actOnOrders(c: Ctx, deps: ConsoleDeps, action: string, target: string, detail: Record<string, unknown>, run: (actor: string) => Promise<string>): Promise<Response> {
  const session = c.get('session');
  const db = deps.app.db.kysely;
  try {
    const message = await run(session.user);
    await recordAction(db, { actor: session.user, role: session.role, action, target, detail, outcome: 'done', message });
    session.flash = { kind: 'ok', text: message };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    await recordAction(db, { actor: session.user, role: session.role, action, target, detail, outcome: 'refused', message: err.message });
    session.flash = { kind: 'error', text: err.message };
  }
  return c.redirect(`${deps.base}orders`, 303);
}

/** One action on one request: run it, record it (done or refused, with the form's answer), redirect to the request. */
async function act(c: Ctx, deps: ConsoleDeps, action: string, run: (id: number, form: Record<string, unknown>, actor: string) => Promise<string>): Promise<Response> {
  const session = c.get('session');
  const id = positiveId(c.req.param('id'));
  if (id === undefined) return page(c, deps, 'Not found', html`<p>No such order request.</p>`, 404);
  const { csrf: _csrf, ...form } = await c.req.parseBody();
  const db = deps.app.db.kysely;
  try {
    const message = await run(id, form, session.user);
    await recordAction(db, { actor: session.user, role: session.role, action, target: `order_request:${id}`, detail: form, outcome: 'done', message });
    session.flash = { kind: 'ok', text: message };
  } catch (err) {
    // A refusal the person can act on (not a candidate, wrong state); anything else is our failure (500).
    if (!(err instanceof ConfigError)) throw err;
    await recordAction(db, { actor: session.user, role: session.role, action, target: `order_request:${id}`, detail: form, outcome: 'refused', message: err.message });
    session.flash = { kind: 'error', text: err.message };
  }
  return c.redirect(`${deps.base}orders/${id}`, 303);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** One chart per ordering upstream in the config, against koppel's own cap. */
async function moneyPanels(deps: ConsoleDeps): Promise<MoneyPanel[]> {
  const { config } = deps.app;
  const db = deps.app.db.kysely;
  const panels: MoneyPanel[] = [];
  const pv = upstreamConfig(config, 'planviewer');
  if (pv && config.pipelines.some((p) => p.type === 'planviewer-mirror')) {
    panels.push({ upstream: 'planviewer', cap: pv.daily_order_cap, capKey: 'upstreams.planviewer.daily_order_cap', days: await orderDays(db, 'planviewer', pv.order_day_time_zone) });
  }
  // Ambita's cap is a pipeline setting; with several ambita pipelines the first one's cap and day are drawn.
  const ambita = config.pipelines.find((p) => p.type === 'ambita-mirror');
  if (ambita) {
    const s = ambita.settings as { daily_order_cap: number; time_zone: string };
    panels.push({ upstream: 'ambita', cap: s.daily_order_cap, capKey: `daily_order_cap of pipeline "${ambita.name}"`, days: await orderDays(db, 'ambita', s.time_zone) });
  }
  return panels;
}
