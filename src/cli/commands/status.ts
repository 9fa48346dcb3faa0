import type { Command } from 'commander';
import type { CliOutput } from '../cli-args.js';
import { findPipelineType, loadPipeline } from '../../core/registries.js';
import { EXIT } from '../exit-codes.js';
import { withApp } from '../load-app.js';
import type { GlobalConfig, Wrap } from '../command-types.js';
import type { App } from '../../core/app.js';
import { redactForDisplay } from '../../config/secrets.js';
import { downloadFailureStatus } from '../../core/download-failures.js';

const RUNS = 5;

/**
 * Per pipeline: last runs with counts, the last run's rejections, and what the pipeline reports as pending.
 * Stored error messages and vendor texts are shown as the logs would show them: secrets redacted.
 */
export async function collectStatus(app: App): Promise<Record<string, unknown>[]> {
  const db = app.db.kysely;
  const out: Record<string, unknown>[] = [];
  for (const entry of app.config.pipelines) {
    const runs = await db
      .selectFrom('runs')
      .select(['id', 'outcome', 'dry_run', 'started_at', 'ended_at', 'seen', 'created', 'updated', 'unchanged', 'rejected', 'failed', 'warnings', 'error'])
      .where('pipeline', '=', entry.name)
      .orderBy('id', 'desc')
      .limit(RUNS)
      .execute();
    const lastReal = runs.find((r) => !r.dry_run && r.outcome !== 'running');
    const rejections = lastReal
      ? await db.selectFrom('rejections').select(['source', 'line', 'field', 'item_key', 'reason', 'severity']).where('run_id', '=', lastReal.id).orderBy('id').limit(20).execute()
      : [];
    const type = findPipelineType(app.registries, entry.type);
    const def = type && (await loadPipeline(type));
    const extra = def?.status ? await def.status({ db, config: entry.settings, pipeline: entry.name, global: app.config }) : {};
    // Deliverables not on disk and why (refused for their size, or failing): any pipeline that downloads.
    const failures = await downloadFailureStatus(db, entry.name);
    out.push({ pipeline: entry.name, type: entry.type, enabled: entry.enabled, schedule: entry.schedule ?? null, runs, rejections, ...extra, ...(failures.length ? { download_failures: failures } : {}) });
  }
  return redactForDisplay(out, app.scrub);
}

export function statusCommand(program: Command, config: GlobalConfig, wrap: Wrap, io: CliOutput): void {
  program
    .command('status')
    .description('last runs with counts, and what is pending, per pipeline')
    .option('--json', 'print JSON')
    .action(
      wrap((opts: { json?: boolean }) =>
        withApp(
          config(),
          async (app) => {
            const status = await collectStatus(app);
            // Status reads only the database: a secret that is not set is worth a note, not a failure.
            const missing = app.config.missingSecrets ?? [];
            if (missing.length) {
              const note = `secrets not set (status does not need them; runs of the upstreams concerned do):\n${missing.map((m) => `  ${m}`).join('\n')}\n`;
              if (opts.json) io.err(`koppel: ${note}`);
              else io.out(`${note}\n`);
            }
            io.out(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
            return EXIT.ok;
          },
          { secrets: 'optional' },
        ),
      ),
    );
}

/** The lists of order requests that are not done, in the order a person works through them. */
const REQUEST_LISTS: [key: string, title: string][] = [
  ['needs_attention', 'needs attention'],
  ['waiting', 'waiting for a choice'],
  ['capped', 'held by a daily cap'],
  ['failed_paid_orders', 'failed paid orders'],
  ['failed', 'failed (nothing ordered)'],
  ['cancelled', 'cancelled by the vendor'],
  ['refunded', 'refunded by the vendor'],
  ['pending', 'not done yet, with a reason'],
];
const SHOWN_APART = new Set(['pipeline', 'type', 'enabled', 'schedule', 'runs', 'rejections', 'orders_today', 'requests', 'jobs_waiting_for_user', ...REQUEST_LISTS.map(([k]) => k)]);

interface RequestLine {
  request: number;
  state: string;
  what: string;
  reason: string | null;
  next: string | null;
  vendor_id?: string;
  candidates?: string[];
}

export function formatStatus(status: Record<string, unknown>[]): string {
  const lines: string[] = [];
  for (const p of status) {
    lines.push(`${p.pipeline} (${p.type})${p.enabled ? '' : ' [disabled]'}${p.schedule ? ` schedule "${p.schedule}"` : ''}`);
    const runs = p.runs as { id: number; outcome: string; dry_run: boolean; started_at: Date; seen: number; created: number; updated: number; unchanged: number; rejected: number; failed: number; warnings?: number; error: string | null }[];
    if (runs.length === 0) lines.push('  no runs yet');
    for (const r of runs) {
      const warnings = r.warnings ? `; warnings ${r.warnings}` : '';
      lines.push(
        `  run ${r.id} ${new Date(r.started_at).toISOString()} ${r.outcome}${r.dry_run ? ' (dry run)' : ''}: seen ${r.seen}, created ${r.created}, updated ${r.updated}, unchanged ${r.unchanged}, rejected ${r.rejected}, failed ${r.failed}${warnings}${r.error ? ` — ${r.error}` : ''}`,
      );
    }
    const rejections = p.rejections as { source: string | null; line: number | null; field: string | null; item_key: string | null; reason: string; severity?: string }[];
    for (const severity of ['rejected', 'warning']) {
      const these = rejections.filter((r) => (r.severity ?? 'rejected') === severity);
      if (these.length) lines.push(severity === 'rejected' ? '  rejected in the last run:' : '  warnings in the last run (synced, with something left out):');
      for (const r of these) {
        const where = [r.source, r.line !== null ? `line ${r.line}` : null, r.field ? `column ${r.field}` : null].filter(Boolean).join(', ');
        lines.push(`    ${where || r.item_key}: ${r.reason}${where && r.item_key ? ` (${r.item_key})` : ''}`);
      }
    }
    const today = p.orders_today as { day: string; placed: number; koppel_cap: string; vendor_cap: string } | undefined;
    if (today) {
      lines.push(`  orders today (${today.day}): ${today.placed} placed`);
      lines.push(`    koppel's cap: ${today.koppel_cap}`);
      lines.push(`    vendor's cap: ${today.vendor_cap}`);
    }
    const counts = p.requests as Record<string, number> | undefined;
    if (counts && Object.keys(counts).length) lines.push(`  requests: ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    for (const [key, title] of REQUEST_LISTS) {
      const list = p[key] as RequestLine[] | undefined;
      if (!list?.length) continue;
      lines.push(`  ${title} (${list.length}${counts && key in STATE_OF && (counts[STATE_OF[key]!] ?? 0) > list.length ? ` of ${counts[STATE_OF[key]!]}` : ''}):`);
      for (const r of list) {
        const state = key === 'pending' ? ` (${r.state})` : '';
        lines.push(`    #${r.request}${state} ${r.what}${r.vendor_id ? ` [vendor id ${r.vendor_id}]` : ''}: ${r.reason ?? '(no reason recorded)'}`);
        if (r.candidates?.length) {
          lines.push('      candidates:');
          for (const c of r.candidates) lines.push(`        ${c}`);
        }
        if (r.next) lines.push(`      next: ${r.next}`);
      }
    }
    const jobs = p.jobs_waiting_for_user as { job: string; request: number; choices: string[]; next: string }[] | undefined;
    if (jobs?.length) {
      lines.push(`  jobs waiting for the user's choice (${jobs.length}):`);
      for (const j of jobs) {
        lines.push(`    job ${j.job} (request #${j.request}): ${j.choices.join(' | ') || '(choices not read yet)'}`);
        lines.push(`      next: ${j.next}`);
      }
    }
    for (const [key, value] of Object.entries(p)) {
      if (SHOWN_APART.has(key)) continue;
      if (Array.isArray(value)) {
        lines.push(`  ${key} (${value.length}):`);
        for (const v of value.slice(0, 50)) lines.push(`    ${Object.values(v as object).map((x) => String(x)).join('  ')}`);
      } else {
        lines.push(`  ${key}: ${JSON.stringify(value)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The request state each list holds, to say "20 of 35" when a list is cut. */
const STATE_OF: Record<string, string> = { needs_attention: 'needs-attention', waiting: 'waiting', capped: 'capped', cancelled: 'cancelled', refunded: 'refunded' };
