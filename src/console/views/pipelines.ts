import { runSparkline } from '../charts.js';
import { type Html, duration, html, when } from '../html.js';
import type { PipelineOverview } from '../run-queries.js';
import type { Session } from '../sessions.js';
import { csrfField } from './layout.js';

export function pipelinesView(base: string, session: Session, list: readonly PipelineOverview[]): Html {
  if (list.length === 0) return html`<p>No pipelines are configured.</p>`;
  return html`<div class="scroll" tabindex="0" role="region" aria-label="Pipelines (scrolls sideways)"><table>
<caption class="muted" style="text-align:left">Bars: the last 30 runs, oldest left; height is the duration, colour the outcome (green succeeded, orange rejected or needs attention, red failed).</caption>
<thead><tr><th scope="col">Pipeline</th><th scope="col">Schedule</th><th scope="col">Next tick</th><th scope="col">Last run</th><th scope="col" class="n">Seen</th><th scope="col" class="n">Created</th><th scope="col" class="n">Updated</th><th scope="col" class="n">Unchanged</th><th scope="col" class="n">Rejected</th><th scope="col" class="n">Failed</th><th scope="col">Last 30 runs</th>${session.role === 'operator' ? html`<th scope="col">Action</th>` : ''}</tr></thead>
<tbody>${list.map((p) => pipelineRow(base, session, p))}</tbody></table></div>`;
}

function pipelineRow(base: string, session: Session, p: PipelineOverview): Html {
  const last = p.runs.at(-1);
  return html`<tr>
<th scope="row"><a href="${base}pipelines/${p.entry.name}">${p.entry.name}</a><br><span class="muted">${p.entry.type}${p.entry.enabled ? '' : ', disabled'}</span></th>
<td><code>${p.entry.schedule ?? 'on demand'}</code></td>
<td>${when(p.nextTick)}</td>
<td>${last ? html`<a class="outcome-${last.outcome}" href="${base}runs/${last.id}">${last.outcome}</a><br><span class="muted">${when(last.startedAt)}, ${duration(last.durationMs)}</span>` : html`<span class="muted">never run</span>`}</td>
<td class="n">${last?.seen ?? '—'}</td><td class="n">${last?.created ?? '—'}</td><td class="n">${last?.updated ?? '—'}</td><td class="n">${last?.unchanged ?? '—'}</td>
<td class="n">${last ? html`<a href="${base}rejections?run=${last.id}">${last.rejected}</a>` : '—'}</td><td class="n">${last?.failed ?? '—'}</td>
<td>${runSparkline(p.runs, `${p.entry.name} runs`)}</td>
${session.role === 'operator' ? html`<td><form method="post" action="${base}pipelines/${p.entry.name}/run">${csrfField(session)}<button type="submit">Run <span class="vh">${p.entry.name} </span>now</button></form></td>` : ''}
</tr>`;
}

export function pipelineRunsView(base: string, p: PipelineOverview): Html {
  return html`<p>${p.entry.type}; schedule <code>${p.entry.schedule ?? 'on demand'}</code>; next tick ${when(p.nextTick)}</p>
<p>${runSparkline(p.runs, `${p.entry.name} runs`)}</p>
<div class="scroll" tabindex="0" role="region" aria-label="Runs (scrolls sideways)"><table><thead><tr><th scope="col">Run</th><th scope="col">Outcome</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col" class="n">Seen</th><th scope="col" class="n">Created</th><th scope="col" class="n">Updated</th><th scope="col" class="n">Unchanged</th><th scope="col" class="n">Rejected</th><th scope="col" class="n">Failed</th></tr></thead>
<tbody>${[...p.runs].reverse().map(
    (r) => html`<tr><td><a href="${base}runs/${r.id}">#${r.id}</a></td><td class="outcome-${r.outcome}">${r.outcome}</td><td>${when(r.startedAt)}</td><td>${duration(r.durationMs)}</td><td class="n">${r.seen}</td><td class="n">${r.created}</td><td class="n">${r.updated}</td><td class="n">${r.unchanged}</td><td class="n">${r.rejected}</td><td class="n">${r.failed}</td></tr>`,
  )}</tbody></table></div>`;
}
