import { ConfigError } from '../core/errors.js';
import type { RunResult } from '../core/types.js';
import { type CliOutput, processOutput } from './cli-args.js';

/**
 * The exit codes a cron wrapper acts on (README "Exit codes"): page on `failed`, report on `attention`, and treat
 * `locked` as neither success nor failure (another process is doing the work; the next tick tries again).
 *   0 ok         the job is done
 *   1 failed     koppel could not do its job: credentials, an upstream unreachable after retries, its own crash,
 *                or a run stopped by a signal before it finished
 *   2 usage      bad usage or bad config
 *   3 attention  finished, but this run rejected items or left them for a human: rejected input, a request that
 *                waits for a choice, an order whose outcome is unknown (needs attention), a vendor-side job error,
 *                a download that failed and is retried next run
 *   75 locked    skipped: another process holds the pipeline's lock (EX_TEMPFAIL in sysexits.h: try again later)
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, attention: 3, locked: 75 } as const;

/** The exit code of a run: one per recorded outcome, so the run record, `status` and the exit code agree. */
export function exitCodeForRun(result: Pick<RunResult, 'outcome'>): number {
  switch (result.outcome) {
    case 'succeeded':
    case 'dry-run':
      return EXIT.ok;
    case 'rejected':
    case 'attention':
      return EXIT.attention;
    case 'failed':
    case 'stopped':
      return EXIT.failed;
    case 'skipped':
      return EXIT.locked;
  }
}

/** Prints an error the way an operator can act on it; config errors are exit 2, anything else 1. */
export function reportError(err: unknown, io: CliOutput = processOutput): number {
  if (err instanceof ConfigError) {
    io.err(`koppel: ${err.message}\n`);
    return EXIT.usage;
  }
  io.err(`koppel: ${(err as Error)?.message ?? String(err)}\n`);
  return EXIT.failed;
}
