import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import type { GlobalConfig, Wrap } from '../program.js';

/**
 * `koppel order <planviewer|ambita> …` queues an order request. Each upstream's subcommand lives beside this
 * file (`order-<upstream>.ts`) and is registered here with one line.
 */
export function orderCommand(program: Command, _config: GlobalConfig, wrap: Wrap): void {
  const order = program.command('order').description('queue an order request (Planviewer, Ambita)');
  for (const upstream of ['planviewer', 'ambita']) {
    order
      .command(upstream, { hidden: false })
      .description(`queue a ${upstream} order request`)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(
        wrap(async () => {
          process.stderr.write(`koppel: ordering from ${upstream} is not available yet: its pipeline has not landed\n`);
          return EXIT.usage;
        }),
      );
  }
}
