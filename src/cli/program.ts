import { Command, CommanderError } from 'commander';
import { type CliOutput, processOutput } from './cli-args.js';
import type { CommandResult } from './command-types.js';
import { EXIT, reportError } from './exit-codes.js';
import { configCheckCommand } from './commands/config-check.js';
import { consoleCommand } from './commands/console.js';
import { daemonCommand } from './commands/daemon.js';
import { migrateCommand } from './commands/migrate.js';
import { orderCommand } from './commands/order.js';
import { backfillCommand, runCommand } from './commands/run.js';
import { sandboxCommand } from './commands/sandbox.js';
import { statusCommand } from './commands/status.js';

/** `io` is where commands (and commander's own usage errors) write; tests pass their own. */
export function buildProgram(setExit: (code: number) => void, io: CliOutput = processOutput): Command {
  const program = new Command('koppel')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .description('Keeps your data in step with PlanogramBuilder, Maasplassen, Planviewer and Ambita.')
    .option('--config <path>', 'config file (default: $KOPPEL_CONFIG, else config/koppel.yaml)')
    .showHelpAfterError()
    .exitOverride();
  const wrap =
    <A extends unknown[]>(fn: (...args: A) => CommandResult) =>
    async (...args: A) => {
      try {
        setExit(await fn(...args));
      } catch (err) {
        setExit(reportError(err, io));
      }
    };
  const globalConfig = () => program.opts<{ config?: string }>().config;
  runCommand(program, globalConfig, wrap, io);
  backfillCommand(program, globalConfig, wrap, io);
  daemonCommand(program, globalConfig, wrap);
  statusCommand(program, globalConfig, wrap, io);
  migrateCommand(program, globalConfig, wrap, io);
  configCheckCommand(program, globalConfig, wrap, io);
  sandboxCommand(program, globalConfig, wrap, io);
  orderCommand(program, globalConfig, wrap, io);
  consoleCommand(program, wrap, io);
  return program;
}


export async function main(argv: string[], io: CliOutput = processOutput): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c), io);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every other parse problem is bad usage.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw err;
  }
  return code;
}
