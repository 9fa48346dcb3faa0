import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { enqueueOrderRequest } from '../src/orders/index.js';
import type { DemoStep } from './demo-env.js';

/** Example requests: two that finish, one that needs the user's choice, one ambiguous address. */
const REQUESTS = [
  { address: 'Castellastraat 2, 6512EX Nijmegen', product: 'vraagprijsrapport' },
  { address: 'Utrechtsestraat 61, 6811LW Arnhem', product: 'bestemmingsplanrapport', intention_rule: 'newest' },
  { lot: 'ARNHEM P 530', product: 'kadastraledocumenten' },
  { address: 'Dorpsweg 8a, 9999AA Groningen', product: 'eigendomsinformatie' },
  { address: 'Keizersgracht 100, 1015AA Amsterdam', product: 'vraagprijsrapport' },
];

/**
 * Orders a few Planviewer products for example addresses in the sandbox, answers the job that waits for the
 * user (as an operator would with `koppel order planviewer select`), and downloads the results.
 */
export const planviewerMirrorDemo: DemoStep = async (env) => {
  const sandbox = env.sandboxes.planviewer!;
  const raw = {
    upstreams: {
      planviewer: { base_url: sandbox.url, access_key: sandbox.credentials.access_key, secret: sandbox.credentials.secret, daily_order_cap: 10 },
    },
    pipelines: [{ name: 'demo-planviewer', type: 'planviewer-mirror', poll: { initial_delay_ms: 20, max_delay_ms: 200, max_wait_ms: 20_000 } }],
  };
  return env.withApp(raw, async (app) => {
    const db = app.db.kysely;
    for (const request of REQUESTS) {
      // Keyed by content, so running the demo again does not order (and pay) again.
      const key = `demo:${createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 16)}`;
      await enqueueOrderRequest(db, { upstream: 'planviewer', pipeline: 'demo-planviewer', request, idempotencyKey: key });
    }
    const first = await app.runner.run('demo-planviewer');
    const waiting = await db
      .selectFrom('planviewer_jobs')
      .select('job_uuid')
      .where('pipeline', '=', 'demo-planviewer')
      .where('status', '=', 'waiting for user')
      .where('selected_index', 'is', null)
      .execute();
    for (const job of waiting) {
      await db.updateTable('planviewer_jobs').set({ selected_index: 1, updated_at: sql`now()` }).where('job_uuid', '=', job.job_uuid).execute();
    }
    const second = waiting.length > 0 ? await app.runner.run('demo-planviewer') : first;

    const lines = [
      `planviewer-mirror (${REQUESTS.length} example requests; files in ${app.config.storage.root}/planviewer)`,
      `  run 1: ordered ${first.counts.created}, downloaded ${first.counts.updated} → ${first.outcome}` +
        (waiting.length ? `; answered ${waiting.length} job(s) waiting for the user, run 2: downloaded ${second.counts.updated} → ${second.outcome}` : ''),
    ];
    const requests = await db
      .selectFrom('order_requests')
      .leftJoin('planviewer_files as f', 'f.request_id', 'order_requests.id')
      .select(['order_requests.id', 'order_requests.request', 'order_requests.status', 'order_requests.reason', 'f.path', 'f.size', 'f.sha256'])
      .where('order_requests.pipeline', '=', 'demo-planviewer')
      .orderBy('order_requests.id')
      .execute();
    for (const r of requests) {
      const req = r.request as { address?: string; lot?: string; product?: string };
      const what = `#${r.id} ${req.product} @ ${req.address ?? req.lot}`;
      lines.push(
        r.path
          ? `  ${what}: ${r.status}, ${r.path} (${Number(r.size)} bytes, sha256 ${String(r.sha256).slice(0, 12)}…)`
          : `  ${what}: ${r.status}${r.reason ? ` — ${r.reason}` : ''}`,
      );
    }
    if (first.error) lines.push(`  error: ${first.error.message}`);
    return lines;
  });
};
