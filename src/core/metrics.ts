import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { KoppelEvents } from './events.js';

/**
 * Prometheus metrics, fed only by lifecycle events (no pipeline calls metrics directly). One registry per
 * app, so tests and several apps in one process never share counters.
 */
export function createMetrics(events: KoppelEvents, depths: () => Record<string, number>): Registry {
  const registry = new Registry();
  const runs = new Counter({ name: 'koppel_runs_total', help: 'Runs finished, by pipeline and outcome', labelNames: ['pipeline', 'outcome'], registers: [registry] });
  const duration = new Histogram({
    name: 'koppel_run_duration_seconds',
    help: 'Run duration',
    labelNames: ['pipeline'],
    buckets: [0.1, 1, 5, 15, 60, 300, 900, 3600],
    registers: [registry],
  });
  const lastRun = new Gauge({ name: 'koppel_last_run_timestamp_seconds', help: 'End of the last run', labelNames: ['pipeline', 'outcome'], registers: [registry] });
  const running = new Gauge({ name: 'koppel_runs_in_progress', help: 'Runs in progress in this process', labelNames: ['pipeline'], registers: [registry] });
  const items = new Counter({ name: 'koppel_items_total', help: 'Items by outcome', labelNames: ['pipeline', 'status'], registers: [registry] });
  const requests = new Counter({ name: 'koppel_upstream_requests_total', help: 'Upstream calls (attempts)', labelNames: ['upstream', 'op'], registers: [registry] });
  const errors = new Counter({ name: 'koppel_upstream_errors_total', help: 'Failed upstream calls (attempts), by error kind', labelNames: ['upstream', 'op', 'kind'], registers: [registry] });
  const backoffs = new Counter({ name: 'koppel_upstream_retries_total', help: 'Retries after a failed attempt', labelNames: ['upstream', 'reason'], registers: [registry] });
  const latency = new Histogram({
    name: 'koppel_upstream_request_duration_seconds',
    help: 'Upstream call latency',
    labelNames: ['upstream'],
    buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const progress = new Gauge({ name: 'koppel_progress_ratio', help: 'Progress of the current phase (0..1)', labelNames: ['pipeline', 'phase'], registers: [registry] });
  new Gauge({
    name: 'koppel_upstream_queue_depth',
    help: 'Upstream calls queued or in flight',
    labelNames: ['upstream'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [upstream, depth] of Object.entries(depths())) this.set({ upstream }, depth);
    },
  });

  events.on('run:start', (e) => running.inc({ pipeline: e.pipeline }));
  events.on('run:end', (e) => {
    running.dec({ pipeline: e.pipeline });
    runs.inc({ pipeline: e.pipeline, outcome: e.outcome });
    duration.observe({ pipeline: e.pipeline }, e.durationMs / 1000);
    lastRun.set({ pipeline: e.pipeline, outcome: e.outcome }, Date.now() / 1000);
    if (e.counts.rejected > 0) items.inc({ pipeline: e.pipeline, status: 'rejected' }, e.counts.rejected);
  });
  events.on('item:outcome', (e) => items.inc({ pipeline: e.pipeline, status: e.status }, e.n));
  events.on('upstream:request', (e) => {
    requests.inc({ upstream: e.upstream, op: e.op });
    latency.observe({ upstream: e.upstream }, e.durationMs / 1000);
    if (!e.ok) errors.inc({ upstream: e.upstream, op: e.op, kind: e.errorKind ?? 'Error' });
  });
  events.on('upstream:backoff', (e) => backoffs.inc({ upstream: e.upstream, reason: e.reason }));
  events.on('progress', (e) => progress.set({ pipeline: e.pipeline, phase: e.phase }, e.total > 0 ? e.done / e.total : 0));
  return registry;
}
