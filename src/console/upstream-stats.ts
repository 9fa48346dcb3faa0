/**
 * The upstreams page's numbers, from the same prom-client registry that serves /metrics. Counters there
 * count since the process started; to show "the last hour" this keeps a snapshot a minute for an hour and
 * subtracts the oldest one from now.
 */
import type { Registry } from 'prom-client';

export interface UpstreamTotals {
  upstream: string;
  requests: number;
  /** Failed attempts by error kind. */
  errors: Record<string, number>;
  retries: number;
  queueDepth: number;
}

type Snapshot = { at: number; totals: Map<string, UpstreamTotals> };

const EVERY_MS = 60_000;
const KEEP = 61;

export class UpstreamStats {
  // Invariant: oldest first, at most KEEP entries, one per EVERY_MS.
  readonly #snapshots: Snapshot[] = [];
  readonly #registry: Registry;
  readonly #timer: NodeJS.Timeout;

  constructor(registry: Registry) {
    this.#registry = registry;
    void this.#take();
    this.#timer = setInterval(() => void this.#take(), EVERY_MS);
    this.#timer.unref(); // never keeps a stopping daemon alive
  }

  /** Per upstream: counts since the oldest snapshot (at most an hour ago), and the queue depth now. */
  async lastHour(): Promise<{ since: Date; rows: UpstreamTotals[] }> {
    const now = await read(this.#registry);
    const first = this.#snapshots[0] ?? { at: Date.now(), totals: new Map() };
    const rows = [...now.values()].map((n) => {
      const then = first.totals.get(n.upstream);
      const errors: Record<string, number> = {};
      for (const [kind, v] of Object.entries(n.errors)) {
        const d = v - (then?.errors[kind] ?? 0);
        if (d > 0) errors[kind] = d;
      }
      return { upstream: n.upstream, requests: n.requests - (then?.requests ?? 0), errors, retries: n.retries - (then?.retries ?? 0), queueDepth: n.queueDepth };
    });
    return { since: new Date(first.at), rows: rows.sort((a, b) => a.upstream.localeCompare(b.upstream)) };
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #take(): Promise<void> {
    this.#snapshots.push({ at: Date.now(), totals: await read(this.#registry) });
    if (this.#snapshots.length > KEEP) this.#snapshots.shift();
  }
}

async function read(registry: Registry): Promise<Map<string, UpstreamTotals>> {
  const out = new Map<string, UpstreamTotals>();
  const row = (upstream: string) => {
    let r = out.get(upstream);
    if (!r) out.set(upstream, (r = { upstream, requests: 0, errors: {}, retries: 0, queueDepth: 0 }));
    return r;
  };
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values as { value: number; labels: Record<string, string | number> }[]) {
      const upstream = v.labels.upstream;
      if (typeof upstream !== 'string') continue;
      const r = row(upstream);
      if (metric.name === 'koppel_upstream_requests_total') r.requests += v.value;
      else if (metric.name === 'koppel_upstream_errors_total') r.errors[String(v.labels.kind)] = (r.errors[String(v.labels.kind)] ?? 0) + v.value;
      else if (metric.name === 'koppel_upstream_retries_total') r.retries += v.value;
      else if (metric.name === 'koppel_upstream_queue_depth') r.queueDepth = v.value;
    }
  }
  return out;
}
