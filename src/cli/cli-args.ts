import type { Command } from 'commander';
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

/**
 * The options of a subcommand whose parent has options of its own (`order planviewer --intention <rule>` and
 * `order planviewer resolve --intention <uuid>`). commander gives a flag both define to the parent, wherever it
 * stands on the line, so the subcommand takes its own flags from the parent too. A flag only the parent knows
 * (`resolve 5 --product x`) is bad usage here rather than silently ignored.
 */
export function subcommandOptions<T extends object>(cmd: Command): T {
  const parent = cmd.parent;
  const own = new Set(cmd.options.map((o) => o.attributeName()));
  const fromParent: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parent?.opts() ?? {})) {
    if (parent!.getOptionValueSource(key) !== 'cli') continue; // a parent's default is not something the user said
    if (!own.has(key)) {
      const flag = parent!.options.find((o) => o.attributeName() === key)?.long ?? key;
      throw new ConfigError(`${flag}: not an option of "${parent!.name()} ${cmd.name()}"`);
    }
    fromParent[key] = value;
  }
  return { ...fromParent, ...cmd.opts() } as T;
}
