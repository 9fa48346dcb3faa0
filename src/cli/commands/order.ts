import type { Command } from 'commander';
import type { CliOutput } from '../cli-args.js';
import type { GlobalConfig, Wrap } from '../command-types.js';
import { ambitaOrderCommand } from './order-ambita.js';
import { planviewerOrderCommand } from './order-planviewer.js';

/**
 * `koppel order <planviewer|ambita> …` queues an order request (the same queue an application can fill by
 * inserting rows). Each upstream's subcommand lives beside this file and is registered here with one line.
 */
export function orderCommand(program: Command, config: GlobalConfig, wrap: Wrap, io: CliOutput): void {
  const order = program.command('order').description('queue or answer an order request (Planviewer, Ambita)');
  planviewerOrderCommand(order, config, wrap, io);
  ambitaOrderCommand(order, config, wrap, io);
}
