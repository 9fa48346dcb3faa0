import { ConfigError } from '../core/errors.js';
import type { RunOutcome } from '../core/types.js';
import { type CliOutput, processOutput } from './cli-args.js';

/** The exit codes scripts rely on (SPEC.md). */
export const EXIT = { ok: 0, failed: 1, usage: 2, rejected: 3 } as const;

export function exitCodeForOutcome(outcome: RunOutcome): number {
  switch (outcome) {
    case 'succeeded':
    case 'dry-run':
      return EXIT.ok;
    case 'rejected':
      return EXIT.rejected;
    case 'skipped':
    case 'stopped':
    case 'failed':
      return EXIT.failed;
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
