/**
 * Charts drawn as SVG on the server: no script, readable by a screen reader through `role="img"`, an
 * `aria-label` that states the numbers, and a `<title>` per mark for a pointer or keyboard user.
 */
import { type Html, html, trusted } from './html.js';

export interface RunMark {
  id: number;
  outcome: string;
  durationMs: number | null;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  failed: number;
}

const OUTCOME_COLOUR: Record<string, string> = { succeeded: '#1e7b34', rejected: '#b35c00', attention: '#b35c00', failed: '#b3261e', crashed: '#b3261e', running: '#0b57d0' };

/** One bar per run (oldest left), its height the run's duration, its colour the outcome. */
export function runSparkline(runs: readonly RunMark[], label: string): Html {
  const w = 6;
  const gap = 2;
  const h = 28;
  const max = Math.max(1, ...runs.map((r) => r.durationMs ?? 0));
  const bars = runs.map((r, i) => {
    const bh = Math.max(2, Math.round(((r.durationMs ?? 0) / max) * h));
    const title = `run ${r.id}: ${r.outcome}, ${Math.round((r.durationMs ?? 0) / 100) / 10} s; created ${r.created}, updated ${r.updated}, unchanged ${r.unchanged}, rejected ${r.rejected}, failed ${r.failed}`;
    return html`<rect x="${i * (w + gap)}" y="${h - bh}" width="${w}" height="${bh}" fill="${OUTCOME_COLOUR[r.outcome] ?? '#555'}"><title>${title}</title></rect>`;
  });
  const outcomes = countBy(runs.map((r) => r.outcome));
  const summary = `${label}: last ${runs.length} run${runs.length === 1 ? '' : 's'}, ${Object.entries(outcomes).map(([o, n]) => `${n} ${o}`).join(', ') || 'none yet'}; bar height is duration, longest ${Math.round(max / 100) / 10} s`;
  return html`<svg role="img" aria-label="${summary}" width="${Math.max(1, runs.length) * (w + gap)}" height="${h}" viewBox="0 0 ${Math.max(1, runs.length) * (w + gap)} ${h}">${bars}</svg>`;
}

export interface OrderDayMark {
  day: string;
  placed: number;
  /** Why the vendor stopped ordering that day (its cap answered, or the account refused), if it did. */
  vendorBlocked: string | null;
}

/**
 * Orders placed per day (bars) against koppel's own daily cap (dashed line); a day the vendor stopped
 * ordering (its cap, or an account refusal) is marked with a red triangle above its bar.
 */
export function orderDaysChart(days: readonly OrderDayMark[], cap: number, label: string): Html {
  const w = 640;
  const h = 180;
  const left = 28;
  const bottom = 22;
  const top = 14;
  const plotH = h - bottom - top;
  const max = Math.max(cap, 1, ...days.map((d) => d.placed));
  const slot = (w - left) / Math.max(1, days.length);
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const bars = days.map((d, i) => {
    const x = left + i * slot + 1;
    const title = `${d.day}: ${d.placed} placed of koppel's cap ${cap}${d.vendorBlocked ? `; vendor stopped ordering: ${d.vendorBlocked}` : ''}`;
    return html`<g><title>${title}</title><rect x="${x.toFixed(1)}" y="${y(d.placed).toFixed(1)}" width="${Math.max(1, slot - 2).toFixed(1)}" height="${(top + plotH - y(d.placed)).toFixed(1)}" fill="#0b57d0"></rect>${
      d.vendorBlocked ? trusted(`<path d="M${(x + slot / 2 - 5).toFixed(1)} 2 h10 l-5 8 z" fill="#b3261e"></path>`) : ''
    }${i % 7 === 0 ? html`<text x="${x.toFixed(1)}" y="${h - 6}">${d.day.slice(5)}</text>` : ''}</g>`;
  });
  const total = days.reduce((n, d) => n + d.placed, 0);
  const blocked = days.filter((d) => d.vendorBlocked).length;
  const summary = `${label}: ${total} order${total === 1 ? '' : 's'} placed over ${days.length} days, at most ${Math.max(0, ...days.map((d) => d.placed))} a day, against koppel's cap of ${cap} a day; the vendor stopped ordering on ${blocked} day${blocked === 1 ? '' : 's'}`;
  return html`<svg role="img" aria-label="${summary}" viewBox="0 0 ${w} ${h}" width="100%" style="max-width:${w}px">
<line x1="${left}" x2="${w}" y1="${y(cap).toFixed(1)}" y2="${y(cap).toFixed(1)}" stroke="#b35c00" stroke-width="2" stroke-dasharray="6 4"></line>
<text x="0" y="${(y(cap) + 4).toFixed(1)}">${cap}</text><text x="0" y="${top + plotH}">0</text>
${bars}</svg>`;
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
