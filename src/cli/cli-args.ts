import { ConfigError } from '../core/errors.js';

/**
 * Where a command writes: `out` is its output (stdout; logs go there too, as JSON, when a command logs), `err`
 * its messages to the operator (stderr). Injected, so that a test reads a command's output without patching
 * `process.stdout` (a patch outlives a timed-out test and swallows the next one's output).
 */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: CliOutput = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** Parses a positive integer argument, or fails as bad usage (exit 2) naming the argument. */
export function positiveInt(name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new ConfigError(`${name}: expected a positive integer, got "${value}"`);
  return Number(value);
}
