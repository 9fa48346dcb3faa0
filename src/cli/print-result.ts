import { CredentialError } from '../core/errors.js';
import type { RunResult } from '../core/types.js';

const SAMPLE = 10;

/** The human summary of a run or a dry-run plan, written to stderr (stdout carries the JSON logs). */
export function formatRunResult(result: RunResult): string {
  const lines: string[] = [];
  const c = result.counts;
  if (result.outcome === 'skipped') return `${result.pipeline}: skipped (${result.reason})\n`;
  if (result.outcome === 'dry-run' && result.plan) {
    lines.push(`${result.pipeline}: dry run — nothing was sent`);
    lines.push(`  plan: ${Object.entries(result.plan.summary).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    for (const a of result.plan.actions.slice(0, SAMPLE)) {
      lines.push(`  ${a.action.padEnd(8)} ${a.key}${a.detail ? `  ${JSON.stringify(a.detail)}` : ''}`);
    }
    const more = Math.max(0, result.plan.actions.length - SAMPLE) + (result.plan.omitted ?? 0);
    if (more > 0) lines.push(`  … and ${more} more`);
  } else {
    lines.push(`${result.pipeline}: ${result.outcome} (run ${result.runId})`);
    lines.push(`  seen ${c.seen}, created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, rejected ${c.rejected}, failed ${c.failed}`);
    if (result.waiting) lines.push(`  waiting for a person's choice: ${result.waiting} (koppel status lists each, with the command that answers it)`);
  }
  if (result.error instanceof CredentialError) {
    // Said first and plainly: the run stopped at the first refusal, and these are the keys to look at.
    lines.push(`  credentials refused by ${result.error.upstream ?? 'the upstream'}: check ${result.error.configKeys.join(', ')}`);
    lines.push('  the run stopped at the first refusal; nothing more was sent');
  }
  if (result.error) lines.push(`  error: ${result.error.message}`);
  for (const w of result.warnings ?? []) lines.push(`  warning: ${w.reason}`);
  const rejections = result.rejections ?? [];
  if (rejections.length > 0) {
    lines.push(`  rejected (${c.rejected}${c.rejected > rejections.length ? `, first ${rejections.length}` : ''}; all in the rejections table, see koppel status):`);
    for (const r of rejections.slice(0, SAMPLE)) {
      const where = [r.source, r.line !== undefined ? `line ${r.line}` : undefined, r.field ? `column ${r.field}` : undefined].filter(Boolean).join(', ');
      lines.push(`    ${where || r.itemKey || '?'}: ${r.reason}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
