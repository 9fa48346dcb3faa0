/**
 * `koppel order planviewer …`: queue a Planviewer order request, and the human answers the pipeline asks for.
 *
 *   koppel order planviewer --address "Castellastraat 2, 6512EX Nijmegen" --product vraagprijsrapport [--intention <rule>]
 *   koppel order planviewer --lot "ARNHEM P 530" --product kadastraledocumenten
 *   koppel order planviewer select <job> <index>           answer a job waiting for the user (sent on the next run)
 *   koppel order planviewer resolve <request>              what it waits for, with the candidates
 *   koppel order planviewer resolve <request> --location <uuid> | --intention <uuid> | --ordered <job> | --not-ordered
 *   koppel order planviewer retry <request>                 back to the queue (after a 402 was fixed, say)
 *
 * Each action is a function of the pipeline's module (`planviewer-mirror/manual-answers.ts`, also what the web
 * console calls), which checks its input and writes the rows; this file maps flags to it and prints the answer.
 */
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import type { PlanviewerAnswer } from '../../pipelines/planviewer-mirror/manual-answers.js';
import { upstreamConfig } from '../../upstreams/index.js';
import { type CliOutput, positiveInt, subcommandOptions } from '../cli-args.js';
import { EXIT } from '../exit-codes.js';
import { withApp } from '../load-app.js';
import type { GlobalConfig, Wrap } from '../command-types.js';

interface QueueOptions {
  address?: string;
  lot?: string;
  product: string;
  intention?: string;
  pipeline?: string;
  again?: boolean;
}

/** Adds `planviewer` (with its subcommands) under `koppel order`. */
export function planviewerOrderCommand(order: Command, config: GlobalConfig, wrap: Wrap, io: CliOutput): Command {
  const pv = order
    .command('planviewer')
    .description('queue a Planviewer order request (address or lot + product), or answer one')
    .option('--address <text>', 'postcode and house number, e.g. "Castellastraat 2, 6512EX Nijmegen"')
    .option('--lot <text>', 'cadastral lot "<gemeente> <sectie> <perceelnummer>", e.g. "ARNHEM P 530"')
    .option('--product <slug>', 'product slug, e.g. bestemmingsplanrapport')
    .option('--intention <rule>', 'intention choice rule: only | newest | uuid:<uuid> | <property>=<value>')
    .option('--pipeline <name>', 'only this planviewer-mirror pipeline may take the request')
    .option('--again', 'queue it even if the same request was queued before (orders and pays again)')
    .action(wrap((opts: QueueOptions) => queue(io, config(), opts)));

  pv.command('select <job> <index>')
    .description('answer a job that waits for the user with the 1-based index of a choice (sent on the next run)')
    .action(
      wrap((job: string, index: string, _opts: object, cmd: Command) => {
        subcommandOptions(cmd); // refuses the parent's flags
        return select(io, config(), job, positiveInt('index', index));
      }),
    );

  pv.command('resolve <request>')
    .description('answer a request that waits or needs attention; without an option, show what it waits for and its candidates')
    .option('--location <uuid>', 'order for this location (from the candidates listed)')
    .option('--intention <uuid>', 'order this intention (from the candidates listed)')
    .option('--ordered <job>', 'the interrupted order WAS placed: this is its job uuid')
    .option('--not-ordered', 'the interrupted order was NOT placed: queue it again')
    .action(wrap((request: string, _opts: ResolveOptions, cmd: Command) => resolve(io, config(), positiveInt('request', request), subcommandOptions<ResolveOptions>(cmd))));

  pv.command('retry <request>')
    .description('put a waiting, failed or needs-attention request back in the queue (lifts a payment block for today)')
    .action(
      wrap((request: string, _opts: object, cmd: Command) => {
        subcommandOptions(cmd); // refuses the parent's flags
        return retry(io, config(), positiveInt('request', request));
      }),
    );
  return pv;
}

/** The pipeline's code is imported by the command that needs it, not by every koppel process. */
const answers = () => import('../../pipelines/planviewer-mirror/manual-answers.js');

async function queue(io: CliOutput, configFlag: string | undefined, opts: QueueOptions): Promise<number> {
  const { queuePlanviewerOrder } = await answers();
  return withApp(configFlag, async (app) => {
    const pipelines = app.config.pipelines.filter((p) => p.type === 'planviewer-mirror').map((p) => p.name);
    const { request: row, created } = await queuePlanviewerOrder(app.db.kysely, opts, pipelines);
    if (!created) {
      io.out(`already queued as request #${row.id} (${row.status}); use --again to order it once more\n`);
      return EXIT.ok;
    }
    io.out(`queued order request #${row.id}; it is ordered by the next run of ${opts.pipeline ?? (pipelines.join(' or ') || 'a planviewer-mirror pipeline (none configured)')}\n`);
    return EXIT.ok;
  });
}

async function select(io: CliOutput, configFlag: string | undefined, job: string, index: number): Promise<number> {
  const { selectJobChoice } = await answers();
  return withApp(configFlag, async (app) => {
    const { choice } = await selectJobChoice(app.db.kysely, job, index);
    io.out(`choice ${index} ("${choice}") recorded for job ${job}; the next run sends it to Planviewer\n`);
    return EXIT.ok;
  });
}

interface ResolveOptions {
  location?: string;
  intention?: string;
  ordered?: string;
  notOrdered?: boolean;
}

async function resolve(io: CliOutput, configFlag: string | undefined, id: number, opts: ResolveOptions): Promise<number> {
  const given = [opts.location, opts.intention, opts.ordered, opts.notOrdered].filter((v) => v !== undefined);
  if (given.length > 1) throw new ConfigError('expected one of --location, --intention, --ordered, --not-ordered (or none, to see what the request waits for)');
  const { answerPlanviewerRequest, planviewerRequestQuestion } = await answers();
  return withApp(configFlag, async (app) => {
    const db = app.db.kysely;
    const answer: PlanviewerAnswer | undefined =
      opts.location !== undefined
        ? { location: opts.location }
        : opts.intention !== undefined
          ? { intention: opts.intention }
          : opts.ordered !== undefined
            ? { ordered: opts.ordered }
            : opts.notOrdered
              ? { notOrdered: true }
              : undefined;
    if (!answer) {
      // The question itself: why it waits, and what to answer with.
      const { request, choice, candidates } = await planviewerRequestQuestion(db, id);
      io.out(`request #${id} is ${request.status}${request.reason ? `: ${request.reason}` : ''}\n`);
      if (choice) io.out(`candidates (koppel order planviewer resolve ${id} --${choice.kind} <uuid>):\n${candidates.map((line) => `  ${line}\n`).join('')}`);
      return EXIT.ok;
    }
    const { chosen } = await answerPlanviewerRequest(db, id, answer);
    io.out(`request #${id} resolved${chosen ? ` with ${chosen}` : ''}; the next run picks it up\n`);
    return EXIT.ok;
  });
}

async function retry(io: CliOutput, configFlag: string | undefined, id: number): Promise<number> {
  const { retryPlanviewerRequest } = await answers();
  return withApp(configFlag, async (app) => {
    await retryPlanviewerRequest(app.db.kysely, id, upstreamConfig(app.config, 'planviewer')?.order_day_time_zone);
    io.out(`request #${id} is back in the queue\n`);
    return EXIT.ok;
  });
}
