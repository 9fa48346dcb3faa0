import { type Html, duration, html, when } from '../html.js';
import type { findRun, listRejections } from '../run-queries.js';

type Run = NonNullable<Awaited<ReturnType<typeof findRun>>>;
type Rejection = Awaited<ReturnType<typeof listRejections>>[number];

export function runView(base: string, run: Run, rejections: readonly Rejection[], shownMax: number): Html {
  const counts: [string, number][] = [
    ['seen', run.seen],
    ['created', run.created],
    ['updated', run.updated],
    ['unchanged', run.unchanged],
    ['rejected', run.rejected],
    ['failed', run.failed],
    ['warnings', run.warnings],
  ];
  return html`<dl>
<dt>Pipeline</dt><dd><a href="${base}pipelines/${run.pipeline}">${run.pipeline}</a> (${run.type})</dd>
<dt>Outcome</dt><dd class="outcome-${run.outcome}">${run.outcome}${run.dry_run ? ' (dry run)' : ''}${run.full_sync ? ', full' : ''}</dd>
<dt>Started</dt><dd>${when(run.started_at)}</dd>
<dt>Ended</dt><dd>${when(run.ended_at)} (${duration(run.ended_at ? run.ended_at.getTime() - run.started_at.getTime() : null)})</dd>
${run.error ? html`<dt>Error</dt><dd>${run.error}</dd>` : ''}
</dl>
<h2>Counts</h2>
<div class="scroll"><table><thead><tr>${counts.map(([k]) => html`<th scope="col" class="n">${k}</th>`)}</tr></thead><tbody><tr>${counts.map(([, v]) => html`<td class="n">${Number(v)}</td>`)}</tr></tbody></table></div>
<h2>Rejections and warnings</h2>
${rejectionsTable(rejections, shownMax)}
<p><a href="${base}rejections.csv?run=${Number(run.id)}" download>Download this run's rejections as CSV</a></p>`;
}

export function rejectionsTable(rows: readonly Rejection[], shownMax: number): Html {
  if (rows.length === 0) return html`<p>None.</p>`;
  return html`<div class="scroll"><table><thead><tr><th scope="col">Run</th><th scope="col">Kind</th><th scope="col">File</th><th scope="col" class="n">Line</th><th scope="col">Column</th><th scope="col">Item</th><th scope="col">Reason</th><th scope="col">Value</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr><td>${Number(r.run_id)}</td><td>${r.severity}</td><td>${r.source ?? '—'}</td><td class="n">${r.line ?? '—'}</td><td>${r.field ?? '—'}</td><td>${r.item_key ?? '—'}</td><td>${r.reason}</td><td><code>${excerpt(r.value)}</code></td></tr>`,
  )}</tbody></table></div>${rows.length >= shownMax ? html`<p class="muted">The first ${shownMax} are shown; the CSV has them all.</p>` : ''}`;
}

/** A value cut to what fits in a cell; the CSV carries it whole. */
export function excerpt(value: string | null, max = 80): string {
  if (value === null) return '';
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
