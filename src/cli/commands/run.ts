import type { Command } from 'commander';
import { isCalendarDate } from '../../core/calendar-date.js';
import { ConfigError } from '../../core/errors.js';
import type { RunOptions } from '../../core/types.js';
import { exitCodeForRun } from '../exit-codes.js';
import { withApp } from '../load-app.js';
import { formatRunResult } from '../print-result.js';
import { showProgress } from '../progress-display.js';
import type { CliOutput } from '../cli-args.js';
import type { GlobalConfig, Wrap } from '../command-types.js';

async function runOnce(io: CliOutput, configFlag: string | undefined, pipeline: string, options: RunOptions): Promise<number> {
  for (const [flag, value] of [['--since', options.since], ['--until', options.until]] as const) {
    if (value !== undefined && !isCalendarDate(value)) throw new ConfigError(`${flag}: expected YYYY-MM-DD (a real date), got "${value}"`);
  }
  return withApp(configFlag, async (app) => {
    const stopProgress = options.backfill ? await showProgress(app.events) : () => undefined;
    // First signal: finish the item in hand and record the run; second: abort at once.
    let signals = 0;
    const onSignal = () => (signals++ === 0 ? void app.runner.shutdown(app.config.daemon.shutdown_grace_ms) : app.runner.abort());
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    try {
      const result = await app.runner.run(pipeline, options);
      stopProgress();
      io.err(formatRunResult(result));
      return exitCodeForRun(result);
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    }
  });
}

export function runCommand(program: Command, config: GlobalConfig, wrap: Wrap, io: CliOutput): void {
  program
    .command('run <pipeline>')
    .description('run one pipeline once, now')
    .option('--dry-run', 'compute and print the plan; change nothing outside koppel')
    .option('--full', 'ignore change detection and re-examine everything')
    .option('--force', 'allow guarded destructive steps (e.g. pruning more than the configured share)')
    .action(
      wrap((pipeline: string, opts: { dryRun?: boolean; full?: boolean; force?: boolean }) =>
        runOnce(io, config(), pipeline, { dryRun: opts.dryRun, full: opts.full, force: opts.force, startedBy: 'person' }),
      ),
    );
}

export function backfillCommand(program: Command, config: GlobalConfig, wrap: Wrap, io: CliOutput): void {
  program
    .command('backfill <pipeline>')
    .description('a long one-off run with progress (a bar on a terminal)')
    .option('--since <date>', 'first date to include (YYYY-MM-DD)')
    .option('--until <date>', 'last date to include (YYYY-MM-DD)')
    .option('--dry-run', 'compute and print the plan; change nothing outside koppel')
    .action(
      wrap((pipeline: string, opts: { since?: string; until?: string; dryRun?: boolean }) =>
        runOnce(io, config(), pipeline, { since: opts.since, until: opts.until, dryRun: opts.dryRun, full: true, backfill: true, startedBy: 'person' }),
      ),
    );
}
