import { ConfigError } from '../core/errors.js';

/** A line of command output (stdout; logs go there too, as JSON, when a command logs). */
export const printLine = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Parses a positive integer argument, or fails as bad usage (exit 2) naming the argument. */
export function positiveInt(name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new ConfigError(`${name}: expected a positive integer, got "${value}"`);
  return Number(value);
}
