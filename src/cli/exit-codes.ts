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

/**
 * The exit code of a run. The run's recorded outcome says `failed` when any item failed; for the exit code an
 * item failure is a finished run that needs a look (3), and only a run that could not do its job (an error that
 * ended the run) pages (1).
 */
export function exitCodeForRun(result: Pick<RunResult, 'outcome' | 'error' | 'counts' | 'waiting'>): number {
  switch (result.outcome) {
    case 'skipped':
      return EXIT.locked;
    case 'stopped':
      return EXIT.failed;
    case 'failed':
      return result.error ? EXIT.failed : EXIT.attention;
    case 'rejected':
      return EXIT.attention;
    case 'succeeded':
      return result.counts.failed > 0 || result.counts.rejected > 0 || (result.waiting ?? 0) > 0 ? EXIT.attention : EXIT.ok;
    case 'dry-run':
      return EXIT.ok;
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
