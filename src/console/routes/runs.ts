import type { Hono } from 'hono';
import { redactForDisplay } from '../../config/secrets.js';
import { recordAction } from '../audit.js';
import { type ConsoleDeps, type Env, page, positiveId } from '../context.js';
import { csvLine } from '../csv.js';
import { html } from '../html.js';
import { findRun, listRejections, pipelineOverview, runJournal } from '../run-queries.js';
import { pipelineRunsView, pipelinesView } from '../views/pipelines.js';
import { rejectionsTable, runView } from '../views/runs.js';

/** Rejections shown on a page; the CSV has up to CSV_MAX. */
const SHOWN = 500;
const CSV_MAX = 1_000_000;

export function runRoutes(r: Hono<Env>, deps: ConsoleDeps): void {
  const { base, app } = deps;
  const db = app.db.kysely;
  const entry = (name: string) => app.config.pipelines.find((p) => p.name === name);

  r.get(base, async (c) => {
    const list = await Promise.all(app.config.pipelines.map((e) => pipelineOverview(db, e)));
    return page(c, deps, 'Pipelines', pipelinesView(base, c.get('session'), list));
  });

  r.get(`${base}pipelines/:name`, async (c) => {
    const e = entry(c.req.param('name'));
    if (!e) return page(c, deps, 'Not found', html`<p>No pipeline of that name is configured.</p>`, 404);
    return page(c, deps, `Pipeline ${e.name}`, pipelineRunsView(base, await pipelineOverview(db, e)));
  });

  // Start a run now: the same Runner.trigger as a schedule tick or a push, so it coalesces with a run in progress.
  r.post(`${base}pipelines/:name/run`, async (c) => {
    const session = c.get('session');
    const e = entry(c.req.param('name'));
    const target = `pipeline:${c.req.param('name')}`;
    if (!e?.enabled) {
      await recordAction(db, { actor: session.user, role: session.role, action: 'pipeline.run', target, outcome: 'refused', message: e ? 'disabled' : 'not configured' });
      session.flash = { kind: 'error', text: `Pipeline ${c.req.param('name')} is ${e ? 'disabled' : 'not configured'}.` };
      return c.redirect(base, 303);
    }
    await recordAction(db, { actor: session.user, role: session.role, action: 'pipeline.run', target, outcome: 'done' });
    void app.runner.trigger(e.name, { startedBy: 'person' }).then(
      (result) => result.outcome === 'skipped' && app.log.info({ pipeline: e.name, reason: result.reason }, 'console run skipped'),
      (err: unknown) => app.log.error({ err, pipeline: e.name }, 'console run failed'),
    );
    session.flash = { kind: 'ok', text: `Run of ${e.name} requested by ${session.user}; if it is running now, it runs once more right after.` };
    return c.redirect(base, 303);
  });

  r.get(`${base}runs/:id`, async (c) => {
    const id = positiveId(c.req.param('id'));
    const run = id === undefined ? undefined : await findRun(db, id);
    if (!run) return page(c, deps, 'Not found', html`<p>No such run.</p>`, 404);
    const [rejections, journal] = await Promise.all([listRejections(db, { runId: Number(run.id) }, SHOWN), runJournal(db, Number(run.id))]);
    // The logger already removed secrets before the lines were stored; this is the same net again, for display.
    const lines = journal.lines.map((l) => ({ ...l, message: app.scrub(l.message), fields: l.fields && redactForDisplay(l.fields, app.scrub) }));
    return page(c, deps, `Run ${Number(run.id)} of ${run.pipeline}`, runView(base, { ...run, error: run.error && app.scrub(run.error) }, { phases: journal.phases, lines }, rejections, SHOWN));
  });

  r.get(`${base}rejections`, async (c) => {
    const filter = { pipeline: c.req.query('pipeline') || undefined, runId: positiveId(c.req.query('run')) };
    const rows = await listRejections(db, filter, SHOWN);
    const query = new URLSearchParams({ ...(filter.pipeline ? { pipeline: filter.pipeline } : {}), ...(filter.runId ? { run: String(filter.runId) } : {}) }).toString();
    return page(
      c,
      deps,
      'Rejections',
      html`<form method="get" action="${base}rejections"><fieldset><legend>Filter</legend>
<label for="f-pipeline">Pipeline</label><select id="f-pipeline" name="pipeline"><option value="">all</option>${app.config.pipelines.map(
        (p) => html`<option value="${p.name}" ${p.name === filter.pipeline ? 'selected' : ''}>${p.name}</option>`,
      )}</select>
<label for="f-run">Run number</label><input id="f-run" name="run" inputmode="numeric" pattern="[0-9]*" value="${filter.runId ?? ''}">
<p><button type="submit">Show</button></p></fieldset></form>
<p><a href="${base}rejections.csv${query ? `?${query}` : ''}" download>Download as CSV</a></p>
${rejectionsTable(rows, SHOWN)}`,
    );
  });

  r.get(`${base}rejections.csv`, async (c) => {
    const filter = { pipeline: c.req.query('pipeline') || undefined, runId: positiveId(c.req.query('run')) };
    const rows = await listRejections(db, filter, CSV_MAX);
    const header = csvLine(['run', 'pipeline', 'kind', 'file', 'line', 'column', 'item', 'reason', 'value']);
    const body = rows.map((x) => csvLine([x.run_id, x.pipeline, x.severity, x.source, x.line, x.field, x.item_key, x.reason, x.value])).join('');
    const name = `rejections${filter.pipeline ? `-${filter.pipeline}` : ''}${filter.runId ? `-run-${filter.runId}` : ''}.csv`;
    return c.body(header + body, 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"` });
  });
}
