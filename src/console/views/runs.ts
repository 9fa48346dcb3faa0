import { RUN_LOG_HEAD, RUN_LOG_TAIL } from '../../core/run-journal.js';
import { type Html, duration, html, when } from '../html.js';
import type { findRun, listRejections, runJournal } from '../run-queries.js';

type Run = NonNullable<Awaited<ReturnType<typeof findRun>>>;
type Rejection = Awaited<ReturnType<typeof listRejections>>[number];
type Journal = Awaited<ReturnType<typeof runJournal>>;

export function runView(base: string, run: Run, journal: Journal, rejections: readonly Rejection[], shownMax: number): Html {
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
<div class="scroll" tabindex="0" role="region" aria-label="Counts (scrolls sideways)"><table><thead><tr>${counts.map(([k]) => html`<th scope="col" class="n">${k}</th>`)}</tr></thead><tbody><tr>${counts.map(([, v]) => html`<td class="n">${Number(v)}</td>`)}</tr></tbody></table></div>
<section id="timeline" aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>
${timeline(run, journal.phases)}</section>
<section id="log" aria-labelledby="h-log"><h2 id="h-log">Log</h2>
${logTable(run, journal.lines)}</section>
<section id="rejections" aria-labelledby="h-rejections"><h2 id="h-rejections">Rejections and warnings</h2>
${rejectionsTable(rejections, shownMax)}
<p><a href="${base}rejections.csv?run=${Number(run.id)}" download>Download this run's rejections as CSV</a></p></section>`;
}

export function rejectionsTable(rows: readonly Rejection[], shownMax: number): Html {
  if (rows.length === 0) return html`<p>None.</p>`;
  return html`<div class="scroll" tabindex="0" role="region" aria-label="Rejections (scrolls sideways)"><table><thead><tr><th scope="col">Run</th><th scope="col">Kind</th><th scope="col">File</th><th scope="col" class="n">Line</th><th scope="col">Column</th><th scope="col">Item</th><th scope="col">Reason</th><th scope="col">Value</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr><td>${Number(r.run_id)}</td><td>${r.severity}</td><td>${r.source ?? '—'}</td><td class="n">${r.line ?? '—'}</td><td>${r.field ?? '—'}</td><td>${r.item_key ?? '—'}</td><td>${r.reason}</td><td><code>${excerpt(r.value)}</code></td></tr>`,
  )}</tbody></table></div>${rows.length >= shownMax ? html`<p class="muted">The first ${shownMax} are shown; the CSV has them all.</p>` : ''}`;
}

/** A value cut to what fits in a cell; the CSV carries it whole. */
export function excerpt(value: string | null, max = 80): string {
  if (value === null) return '';
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

const LEVELS: Record<number, string> = { 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * The run's phases one after another: a table a screen reader reads as it is (start offset, duration,
 * progress), with a bar per phase showing where in the run it fell (decoration, hidden from assistive tech).
 */
function timeline(run: Run, phases: Journal['phases']): Html {
  if (phases.length === 0) return html`<p>No phases recorded${run.outcome === 'running' ? ' yet: they are written as each ends' : ''}.</p>`;
  const t0 = run.started_at.getTime();
  const end = Math.max(run.ended_at?.getTime() ?? 0, ...phases.map((p) => (p.ended_at ?? p.at).getTime()));
  const span = Math.max(1, end - t0);
  const rows = phases.map((p) => {
    const from = p.at.getTime() - t0;
    const ms = p.ended_at ? p.ended_at.getTime() - p.at.getTime() : null;
    const x = Math.min(100, (from / span) * 100);
    const w = Math.max(0.5, Math.min(100 - x, ((ms ?? 0) / span) * 100));
    const progress = p.fields as { done?: number; total?: number } | null;
    return html`<tr><th scope="row">${p.message}</th><td class="n">+${duration(from)}</td><td class="n">${duration(ms)}</td><td class="n">${progress?.total ? `${Number(progress.done)} of ${Number(progress.total)}` : '—'}</td><td class="bar"><svg aria-hidden="true" focusable="false" width="100%" height="12" viewBox="0 0 100 12" preserveAspectRatio="none"><rect x="${x.toFixed(2)}" y="1" width="${w.toFixed(2)}" height="10" fill="#0b57d0"></rect></svg></td></tr>`;
  });
  return html`<div class="scroll" tabindex="0" role="region" aria-label="Phases (scrolls sideways)"><table><caption class="muted">Each phase runs from its start until the next one starts; the run took ${duration(span)} in all.</caption><thead><tr><th scope="col">Phase</th><th scope="col" class="n">Started</th><th scope="col" class="n">Took</th><th scope="col" class="n">Progress</th><th scope="col">When</th></tr></thead><tbody>${rows}</tbody></table></div>${
    run.phases_dropped > 0 ? html`<p class="muted">${run.phases_dropped} later phases were not kept.</p>` : ''
  }`;
}

/** The run's log lines at info and above, as the logger wrote them (secrets removed there, and again on display). */
function logTable(run: Run, lines: Journal['lines']): Html {
  if (lines.length === 0) return html`<p>No log lines recorded.</p>`;
  const dropped = run.log_lines_dropped;
  const rows = lines.map((l, i) => {
    const gap = dropped > 0 && i === RUN_LOG_HEAD ? html`<tr><td colspan="4" class="muted">${dropped} lines left out here: a run keeps its first ${RUN_LOG_HEAD} and last ${RUN_LOG_TAIL}.</td></tr>` : '';
    const level = LEVELS[l.level ?? 0] ?? String(l.level);
    const fields = Object.entries(l.fields ?? {});
    return html`${gap}<tr class="level-${level}"><td><time datetime="${l.at.toISOString()}">${l.at.toISOString().slice(11, 23)}</time></td><td>${level}</td><td>${l.message}</td><td>${
      fields.length ? html`<code>${fields.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}</code>` : ''
    }</td></tr>`;
  });
  return html`<div class="scroll" tabindex="0" role="region" aria-label="Log lines (scrolls sideways)"><table class="log"><thead><tr><th scope="col">Time (UTC)</th><th scope="col">Level</th><th scope="col">Message</th><th scope="col">Fields</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}
