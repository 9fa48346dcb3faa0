import { REQUEST_STATES } from '../../core/reasons.js';
import { describeRequest as describeAmbita } from '../../pipelines/ambita-mirror/reasons.js';
import { describeRequest as describePlanviewer } from '../../pipelines/planviewer-mirror/reasons.js';
import type { WaitingChoice } from '../../pipelines/planviewer-mirror/waiting-choice.js';
import { type OrderDayMark, orderDaysChart } from '../charts.js';
import { type Html, html, when } from '../html.js';
import { type MirroredFile, type WaitingJob, asDate, type findRequest, type listRequests } from '../order-queries.js';
import type { Session } from '../sessions.js';
import { csrfField } from './layout.js';

type RequestRow = Awaited<ReturnType<typeof listRequests>>[number];
type FullRequest = NonNullable<Awaited<ReturnType<typeof findRequest>>>;

export function describe(upstream: string, request: Record<string, unknown>): string {
  return upstream === 'ambita' ? describeAmbita(request) : describePlanviewer(request);
}

export interface MoneyPanel {
  upstream: string;
  cap: number;
  capKey: string;
  days: OrderDayMark[];
}

export function ordersView(
  base: string,
  session: Session,
  p: { counts: { upstream: string; state: string; n: number }[]; rows: RequestRow[]; filter: { upstream?: string | undefined; state?: string | undefined }; money: MoneyPanel[]; planviewerProducts: boolean; ambitaPipelines: readonly string[] },
): Html {
  const upstreams = [...new Set(p.counts.map((c) => c.upstream))].sort();
  const count = (u: string, s: string) => p.counts.find((c) => c.upstream === u && c.state === s)?.n ?? 0;
  return html`<h2>Requests by state</h2>
<div class="scroll" tabindex="0" role="region" aria-label="Requests by state (scrolls sideways)"><table><thead><tr><th scope="col">Upstream</th>${REQUEST_STATES.map((s) => html`<th scope="col" class="n">${s}</th>`)}</tr></thead>
<tbody>${upstreams.map(
    (u) => html`<tr><th scope="row">${u}</th>${REQUEST_STATES.map((s) => html`<td class="n">${count(u, s) ? html`<a href="${base}orders?upstream=${u}&state=${s}">${count(u, s)}</a>` : '0'}</td>`)}</tr>`,
  )}</tbody></table></div>
<form method="get" action="${base}orders"><fieldset><legend>Filter</legend>
<label for="o-upstream">Upstream</label><select id="o-upstream" name="upstream"><option value="">all</option>${['planviewer', 'ambita'].map((u) => html`<option ${u === p.filter.upstream ? 'selected' : ''}>${u}</option>`)}</select>
<label for="o-state">State</label><select id="o-state" name="state"><option value="">all</option>${REQUEST_STATES.map((s) => html`<option ${s === p.filter.state ? 'selected' : ''}>${s}</option>`)}</select>
<p><button type="submit">Show</button></p></fieldset></form>
<h2>Requests</h2>
${p.rows.length === 0 ? html`<p>None.</p>` : html`<div class="scroll" tabindex="0" role="region" aria-label="Requests (scrolls sideways)"><table><thead><tr><th scope="col">#</th><th scope="col">Upstream</th><th scope="col">What</th><th scope="col">State</th><th scope="col">Reason</th><th scope="col">Next action</th></tr></thead>
<tbody>${p.rows.map(
    (r) => html`<tr><td><a href="${base}orders/${Number(r.id)}">#${Number(r.id)}</a></td><td>${r.upstream}</td><td>${describe(r.upstream, r.request)}</td><td class="state">${r.status}</td><td>${r.reason ?? ''}</td><td>${r.next_action ?? ''}</td></tr>`,
  )}</tbody></table></div>`}
<h2>Orders placed per day</h2>
${p.money.map((m) => html`<h3>${m.upstream}</h3><p class="muted">Bars: orders placed per day over 30 days. Dashed line: koppel's cap (${m.capKey} = ${m.cap}). Red mark: a day the vendor stopped ordering (its own cap, or the account).</p>${orderDaysChart(m.days, m.cap, `${m.upstream} orders per day`)}`)}
${session.role === 'operator' && p.planviewerProducts ? queuePlanviewerForm(base, session) : ''}
${session.role === 'operator' && p.ambitaPipelines.length ? ambitaForms(base, session, p.ambitaPipelines) : ''}`;
}

/** Queue an Ambita request (cadastre, share or map order, as `koppel order ambita`), or follow an order placed outside koppel. */
function ambitaForms(base: string, session: Session, pipelines: readonly string[]): Html {
  const pipelineField = (id: string) =>
    pipelines.length > 1
      ? html`<label for="${id}">Pipeline</label><select id="${id}" name="pipeline">${pipelines.map((n) => html`<option>${n}</option>`)}</select>`
      : '';
  return html`<h2>Queue an Ambita order</h2>
<form method="post" action="${base}orders/new-ambita" style="max-width:32rem">${csrfField(session)}
<label for="a-products">Product codes (separated by spaces or commas)</label><input id="a-products" name="products" required placeholder="WI99990001">
<fieldset><legend>A cadastre order</legend>
<label for="a-cadastre">Cadastre (knr-gnr-bnr-fnr-snr)</label><input id="a-cadastre" name="cadastre" placeholder="9999-1-1-0-0">
<label for="a-address">Address</label><input id="a-address" name="address" placeholder="Infoveien 1, 9999 Infoland"></fieldset>
<fieldset><legend>or a share order</legend>
<label for="a-organization">Organisation number of the housing company</label><input id="a-organization" name="organization" inputmode="numeric">
<label for="a-share">Share number</label><input id="a-share" name="share_number"></fieldset>
<fieldset><legend>or a map order</legend>
<label for="a-map">Area: GeoJSON with a closed Polygon (a geometry, a Feature, or a FeatureCollection's first feature)</label><textarea id="a-map" name="map" rows="4" spellcheck="false"></textarea>
<label for="a-srid">Spatial reference of its coordinates</label><select id="a-srid" name="srid"><option value="25833">EPSG:25833 (UTM 33N)</option><option value="25832">EPSG:25832 (UTM 32N)</option></select></fieldset>
<label for="a-reference">Assignment key (optional; Ambita bills by it)</label><input id="a-reference" name="reference">
${pipelineField('a-pipeline')}
<p><label style="display:inline;font-weight:normal"><input type="checkbox" name="again" value="1"> order again even if the same request was queued before (pays again)</label></p>
<p><button type="submit">Queue Ambita order request</button></p></form>
<h2>Follow an Ambita order placed outside koppel</h2>
<form method="post" action="${base}orders/track-ambita" style="max-width:32rem">${csrfField(session)}
<label for="t-order">Ambita order id</label><input id="t-order" name="order_id" required inputmode="numeric">
${pipelineField('t-pipeline')}
<p><button type="submit">Follow this order</button></p></form>`;
}

function queuePlanviewerForm(base: string, session: Session): Html {
  return html`<h2>Queue a Planviewer order</h2>
<form method="post" action="${base}orders/new" style="max-width:32rem">${csrfField(session)}
<label for="q-address">Address (postcode and house number)</label><input id="q-address" name="address" placeholder="Castellastraat 2, 6512EX Nijmegen">
<label for="q-lot">or cadastral lot</label><input id="q-lot" name="lot" placeholder="ARNHEM P 530">
<label for="q-product">Product</label><input id="q-product" name="product" required placeholder="bestemmingsplanrapport">
<label for="q-intention">Intention rule (optional)</label><input id="q-intention" name="intention" placeholder="newest">
<p><label style="display:inline;font-weight:normal"><input type="checkbox" name="again" value="1"> order again even if the same request was queued before (pays again)</label></p>
<p><button type="submit">Queue order request</button></p></form>`;
}

export function requestView(base: string, session: Session, r: FullRequest, choice: WaitingChoice | undefined, jobs: readonly WaitingJob[], files: readonly MirroredFile[]): Html {
  const id = Number(r.id);
  const operator = session.role === 'operator';
  return html`<dl>
<dt>Upstream</dt><dd>${r.upstream}${r.pipeline ? ` (pipeline ${r.pipeline})` : ''}</dd>
<dt>What</dt><dd>${describe(r.upstream, r.request)}</dd>
<dt>State</dt><dd class="state" id="request-state">${r.status}</dd>
${r.reason ? html`<dt>Reason</dt><dd>${r.reason}</dd>` : ''}
${r.next_action ? html`<dt>Next action</dt><dd>${r.next_action}</dd>` : ''}
${r.upstream_order_id ? html`<dt>Vendor's id</dt><dd><code>${r.upstream_order_id}</code></dd>` : ''}
<dt>Attempts</dt><dd>${r.attempts}</dd><dt>Updated</dt><dd>${when(asDate(r.updated_at))}</dd>
</dl>
${choice ? html`<h2>Choose ${choice.kind === 'location' ? 'the location' : 'the intention'}</h2>
<form method="post" action="${base}orders/${id}/answer">${operator ? csrfField(session) : ''}<fieldset><legend>Candidates${choice.location ? ` for ${choice.location.title}` : ''}</legend>
${choice.candidates.map((c, i) => html`<p><input type="radio" id="cand-${i}" name="uuid" value="${c.uuid}" required ${operator ? '' : 'disabled'}> <label style="display:inline" for="cand-${i}">${candidateLabel(choice, c)}</label></p>`)}
</fieldset>${operator ? html`<button type="submit">Order this one</button>` : html`<p class="muted">Only an operator can answer.</p>`}</form>` : ''}
${jobs.map(
    (j) => html`<h2>Planviewer asks a question</h2>
<form method="post" action="${base}jobs/${j.job}/select">${operator ? csrfField(session) : ''}<fieldset><legend>Job ${j.job} waits for a choice</legend>
${j.choices.map((c) => html`<p><input type="radio" id="job-${c.index}" name="index" value="${c.index}" required ${operator ? '' : 'disabled'} ${j.selected === c.index ? 'checked' : ''}> <label style="display:inline" for="job-${c.index}">${c.text}</label></p>`)}
</fieldset>${j.selected !== null ? html`<p class="muted">Choice ${j.selected} is recorded; the next run sends it.</p>` : ''}${operator ? html`<button type="submit">Send this choice</button>` : ''}</form>`,
  )}
${operator && r.status === 'needs-attention' ? html`<h2>Resolve</h2>
<p>Check the ${r.upstream} account first: was this order placed?</p>
<form method="post" action="${base}orders/${id}/resolve">${csrfField(session)}<input type="hidden" name="answer" value="ordered">
<label for="vendor-id">It was ordered: the vendor's ${r.upstream === 'ambita' ? 'order id' : 'job id'}</label><input id="vendor-id" name="vendor_id" required>
<p><button type="submit">Record as ordered</button></p></form>
<form method="post" action="${base}orders/${id}/resolve">${csrfField(session)}<input type="hidden" name="answer" value="not-ordered"><p><button type="submit" class="secondary">It was not ordered: queue it again</button></p></form>` : ''}
${operator && ['waiting', 'capped', 'failed', 'needs-attention'].includes(r.status) ? html`<h2>Retry</h2>
<form method="post" action="${base}orders/${id}/retry">${csrfField(session)}<p><button type="submit" class="secondary">Put it back in the queue</button></p></form>` : ''}
<h2>Files</h2>
${filesTable(base, files)}`;
}

function candidateLabel(choice: WaitingChoice, c: WaitingChoice['candidates'][number]): string {
  if (choice.kind === 'location') return `${c.title ?? c.uuid}${c.score !== undefined ? ` (score ${c.score})` : ''}`;
  const props = Object.entries(c.properties ?? {})
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return [c.product, ...props].filter(Boolean).join(', ') || c.uuid;
}

export function filesTable(base: string, files: readonly MirroredFile[]): Html {
  if (files.length === 0) return html`<p>None yet.</p>`;
  return html`<div class="scroll" tabindex="0" role="region" aria-label="Mirrored files (scrolls sideways)"><table><thead><tr><th scope="col">File</th><th scope="col">Pipeline</th><th scope="col">Request</th><th scope="col">Vendor's id</th><th scope="col" class="n">Size</th><th scope="col">sha256</th><th scope="col">Stored</th></tr></thead>
<tbody>${files.map(
    (f) => html`<tr><td><a href="${base}files/download?path=${encodeURIComponent(f.path)}" download>${f.name}</a></td><td>${f.pipeline}</td><td>${f.requestId === null ? '—' : html`<a href="${base}orders/${f.requestId}">#${f.requestId}</a>`}</td><td><code>${f.vendorRef}</code></td><td class="n">${bytes(f.size)}</td><td><code title="${f.sha256}">${f.sha256.slice(0, 12)}…</code></td><td>${when(f.at)}</td></tr>`,
  )}</tbody></table></div>`;
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
}
