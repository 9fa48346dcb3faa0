import type { Hono } from 'hono';
import { recentActions } from '../audit.js';
import { type ConsoleDeps, type Env, page } from '../context.js';
import { html, when } from '../html.js';
import type { UpstreamStats } from '../upstream-stats.js';

/** The upstreams page (the /metrics counters, last hour) and the record of console actions. */
export function overviewRoutes(r: Hono<Env>, deps: ConsoleDeps, stats: UpstreamStats): void {
  const { base, app } = deps;

  r.get(`${base}upstreams`, async (c) => {
    const { since, rows } = await stats.lastHour();
    return page(
      c,
      deps,
      'Upstreams',
      html`<p class="muted">Since ${when(since)} (at most the last hour), from the same counters as <code>/metrics</code>. Queue depth is now.</p>
${rows.length === 0 ? html`<p>No upstream calls yet.</p>` : html`<div class="scroll" tabindex="0" role="region" aria-label="Upstreams (scrolls sideways)"><table><thead><tr><th scope="col">Upstream</th><th scope="col" class="n">Requests</th><th scope="col">Errors by kind</th><th scope="col" class="n">Retries</th><th scope="col" class="n">Queue depth</th></tr></thead>
<tbody>${rows.map(
        (u) => html`<tr><th scope="row">${u.upstream}</th><td class="n">${u.requests}</td><td>${Object.entries(u.errors).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}</td><td class="n">${u.retries}</td><td class="n">${u.queueDepth}</td></tr>`,
      )}</tbody></table></div>`}`,
    );
  });

  r.get(`${base}actions`, async (c) => {
    const rows = await recentActions(app.db.kysely);
    return page(
      c,
      deps,
      'Actions',
      html`<p class="muted">Every action taken in the console, newest first, with who and when (also those refused).</p>
<div class="scroll" tabindex="0" role="region" aria-label="Actions (scrolls sideways)"><table><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">On</th><th scope="col">Outcome</th><th scope="col">Message</th></tr></thead>
<tbody>${rows.map((a) => html`<tr><td>${when(a.at)}</td><td>${a.actor} (${a.role})</td><td>${a.action}</td><td>${a.target}</td><td>${a.outcome}</td><td>${a.message ?? ''}</td></tr>`)}</tbody></table></div>`,
    );
  });
}
