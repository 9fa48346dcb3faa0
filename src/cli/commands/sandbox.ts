import type { Command } from 'commander';
import type { CliOutput } from '../cli-args.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalConfig, Wrap } from '../program.js';
import type { SandboxHandle } from '../../upstreams/sandbox-kit.js';

/**
 * Every upstream's sandbox, started on consecutive ports from `--port` (0 = any free port). Each is imported
 * when started: the sandboxes (and the gRPC server) are test fixtures that no other command loads.
 */
const SANDBOXES: { name: string; start: (port: number) => Promise<SandboxHandle> }[] = [
  { name: 'maasplassen', start: async (port) => (await import('../../upstreams/maasplassen/sandbox.js')).startMaasplassenSandbox({ port }) },
  { name: 'planogrambuilder', start: async (port) => (await import('../../upstreams/planogrambuilder/sandbox.js')).startPlanogramBuilderSandbox({ port }) },
  { name: 'planviewer', start: async (port) => (await import('../../upstreams/planviewer/sandbox.js')).startPlanviewerSandbox({ port }) },
  { name: 'ambita', start: async (port) => (await import('../../upstreams/ambita/sandbox.js')).startAmbitaSandbox({ port }) },
];

export async function startAllSandboxes(basePort: number): Promise<{ name: string; handle: SandboxHandle }[]> {
  const started: { name: string; handle: SandboxHandle }[] = [];
  for (const [i, s] of SANDBOXES.entries()) started.push({ name: s.name, handle: await s.start(basePort ? basePort + i : 0) });
  return started;
}

export function sandboxCommand(program: Command, _config: GlobalConfig, wrap: Wrap, io: CliOutput): void {
  program
    .command('sandbox')
    .description('start local sandboxes of every upstream and print their addresses and demo credentials')
    .option('--port <port>', 'first port (the others follow); 0 = any free port', (v) => Number.parseInt(v, 10), 4400)
    .action(
      wrap(async (opts: { port: number }) => {
        const started = await startAllSandboxes(opts.port);
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
