import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import type { CliOutput } from '../cli-args.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalConfig, Wrap } from '../command-types.js';

/** A running sandbox as the command prints it: its address, its demo credentials, and how to stop it. */
export interface StartedSandbox {
  name: string;
  handle: { readonly url: string; readonly credentials: Record<string, string | number>; close(): Promise<void> };
}

/** What `sandbox/start-all.ts` exports (it checks itself against this type). */
export type StartAllSandboxes = (basePort: number) => Promise<StartedSandbox[]>;

/**
 * The sandbox tree sits beside `src/` in a checkout and is not part of the build (tsconfig.build.json), so dist/
 * and the image have no sandbox code or demo credentials. The specifier is a variable so that tsc does not follow
 * it into the build; relative to this module it resolves to `<checkout>/sandbox/` under tsx and to
 * `dist/sandbox/`, which does not exist, when run from dist/.
 */
const SANDBOX_TREE = new URL('../../../sandbox/', import.meta.url);
const START_ALL: string = new URL('start-all.js', SANDBOX_TREE).href;

async function loadStartAll(): Promise<StartAllSandboxes> {
  if (!existsSync(fileURLToPath(SANDBOX_TREE))) {
    throw new ConfigError('the sandboxes ship with a checkout, not the image: run `npm run sandbox` in a checkout');
  }
  // The module checks its own export against StartAllSandboxes at typecheck, so this cast states a checked fact.
  return ((await import(START_ALL)) as { startAllSandboxes: StartAllSandboxes }).startAllSandboxes;
}

export function sandboxCommand(program: Command, _config: GlobalConfig, wrap: Wrap, io: CliOutput): void {
  program
    .command('sandbox')
    .description('start local sandboxes of every upstream and print their addresses and demo credentials (checkout only)')
    .option('--port <port>', 'first port (the others follow); 0 = any free port', (v) => Number.parseInt(v, 10), 4400)
    .action(
      wrap(async (opts: { port: number }) => {
        const started = await (await loadStartAll())(opts.port);
        for (const { name, handle } of started) {
          io.out(`${name.padEnd(18)} ${handle.url}\n`);
          for (const [k, v] of Object.entries(handle.credentials)) io.out(`${''.padEnd(18)} ${k}: ${v}\n`);
        }
        io.out('Ctrl-C stops the sandboxes.\n');
        await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
        for (const { handle } of started) await handle.close();
        return EXIT.ok;
      }),
    );
}
