/**
 * `koppel order planviewer …`: queue a Planviewer order request, and the human answers the pipeline asks for.
 *
 *   koppel order planviewer --address "Castellastraat 2, 6512EX Nijmegen" --product vraagprijsrapport [--intention <rule>]
 *   koppel order planviewer --lot "ARNHEM P 530" --product kadastraledocumenten
 *   koppel order planviewer select <job> <index>           answer a job waiting for the user (sent on the next run)
 *   koppel order planviewer resolve <request>              what it waits for, with the candidates
 *   koppel order planviewer resolve <request> --location <uuid> | --intention <uuid> | --ordered <job> | --not-ordered
 *   koppel order planviewer retry <request>                 back to the queue (after a 402 was fixed, say)
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { sql } from 'kysely';
import { ConfigError } from '../../core/errors.js';
import { enqueueOrderRequest, requeueOrderRequest, resolveInterruptedOrder, unblockOrderDay } from '../../core/order-requests.js';
import type * as PlanviewerMapping from '../../pipelines/planviewer-mirror/mapping.js';
import { type CliOutput, positiveInt, subcommandOptions } from '../cli-args.js';
import { EXIT } from '../exit-codes.js';
import { withApp } from '../load-app.js';
import type { GlobalConfig, Wrap } from '../program.js';
import { upstreamConfig } from '../../upstreams/index.js';

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

async function queue(io: CliOutput, configFlag: string | undefined, opts: QueueOptions): Promise<number> {
  if (!opts.product) throw new ConfigError('--product: expected a product slug, got nothing');
  if (!opts.address === !opts.lot) throw new ConfigError('expected exactly one of --address or --lot');
  // The pipeline's code is imported by the command that needs it, not by every koppel process.
  const mapping = await import('../../pipelines/planviewer-mirror/mapping.js');
  const { parseAddress, parseLot, planviewerRequestSchema } = mapping;
  if (opts.address && !parseAddress(opts.address)) throw new ConfigError(`--address: expected a postcode and a house number, got "${opts.address}"`);
  if (opts.lot && !parseLot(opts.lot)) throw new ConfigError(`--lot: expected "<gemeente> <sectie> <perceelnummer>", got "${opts.lot}"`);
  const request = planviewerRequestSchema.safeParse({
    ...(opts.address ? { address: opts.address } : {}),
    ...(opts.lot ? { lot: opts.lot } : {}),
    product: opts.product,
    ...(opts.intention ? { intention_rule: opts.intention } : {}),
  });
  if (!request.success) throw new ConfigError(`order request: ${request.error.issues[0]?.message ?? 'invalid'}`);
  return withApp(configFlag, async (app) => {
    const pipelines = app.config.pipelines.filter((p) => p.type === 'planviewer-mirror').map((p) => p.name);
    if (opts.pipeline && !pipelines.includes(opts.pipeline)) {
      throw new ConfigError(`--pipeline: expected one of the planviewer-mirror pipelines (${pipelines.join(', ') || 'none'}), got "${opts.pipeline}"`);
    }
    // Same request twice is most likely a slip of the finger: it would be ordered and paid twice.
    const key = opts.again ? null : createHash('sha256').update(JSON.stringify(normalised(mapping, request.data))).digest('hex').slice(0, 32);
    const { request: row, created } = await enqueueOrderRequest(app.db.kysely, {
      upstream: 'planviewer',
      pipeline: opts.pipeline ?? null,
      request: request.data,
      idempotencyKey: key,
    });
    if (!created) {
      io.out(`already queued as request #${row.id} (${row.status}); use --again to order it once more\n`);
      return EXIT.ok;
    }
    io.out(`queued order request #${row.id}; it is ordered by the next run of ${opts.pipeline ?? (pipelines.join(' or ') || 'a planviewer-mirror pipeline (none configured)')}\n`);
    return EXIT.ok;
  });
}

function normalised({ parseAddress, parseLot }: typeof PlanviewerMapping, r: Record<string, unknown>): Record<string, unknown> {
  const address = typeof r.address === 'string' ? parseAddress(r.address) : undefined;
  const lot = typeof r.lot === 'string' ? parseLot(r.lot) : undefined;
  return { address, lot, product: r.product, rule: r.intention_rule ?? null };
}

async function select(io: CliOutput, configFlag: string | undefined, job: string, index: number): Promise<number> {
  return withApp(configFlag, async (app) => {
    const row = await app.db.kysely.selectFrom('planviewer_jobs').select(['status', 'waiting']).where('job_uuid', '=', job).executeTakeFirst();
    if (!row) throw new ConfigError(`job ${job}: not a Planviewer job koppel follows`);
    if (row.status !== 'waiting for user') throw new ConfigError(`job ${job}: is ${row.status}, not waiting for the user`);
    const choices = (row.waiting as { locaties?: Record<string, string> } | null)?.locaties ?? {};
    if (!(String(index) in choices)) {
      throw new ConfigError(`index: expected one of ${Object.keys(choices).join(', ') || '(no choices known yet)'}, got ${index}`);
    }
    await app.db.kysely.updateTable('planviewer_jobs').set({ selected_index: index, updated_at: sql`now()` }).where('job_uuid', '=', job).execute();
    io.out(`choice ${index} ("${choices[String(index)]}") recorded for job ${job}; the next run sends it to Planviewer\n`);
    return EXIT.ok;
  });
}

interface ResolveOptions {
  location?: string;
  intention?: string;
  ordered?: string;
  notOrdered?: boolean;
}

const aChoice = (kind: string) => (kind === 'intention' ? 'an intention' : 'a location');

async function resolve(io: CliOutput, configFlag: string | undefined, id: number, opts: ResolveOptions): Promise<number> {
  const given = [opts.location, opts.intention, opts.ordered, opts.notOrdered].filter((v) => v !== undefined);
  if (given.length > 1) throw new ConfigError('expected one of --location, --intention, --ordered, --not-ordered (or none, to see what the request waits for)');
  const { candidateLines, waitingChoice } = await import('../../pipelines/planviewer-mirror/waiting-choice.js');
  return withApp(configFlag, async (app) => {
    const db = app.db.kysely;
    const request = await db.selectFrom('order_requests').select(['upstream', 'status', 'reason', 'details', 'claimed_by']).where('id', '=', id).executeTakeFirst();
    if (request?.upstream !== 'planviewer') throw new ConfigError(`request ${id}: not a Planviewer order request`);
    const choice = waitingChoice(request.status, request.details);
    const listed = choice ? candidateLines(choice).map((line) => `  ${line}\n`).join('') : '';
    if (given.length === 0) {
      // The question itself: why it waits, and what to answer with.
      io.out(`request #${id} is ${request.status}${request.reason ? `: ${request.reason}` : ''}\n`);
      if (choice) io.out(`candidates (koppel order planviewer resolve ${id} --${choice.kind} <uuid>):\n${listed}`);
      return EXIT.ok;
    }
    const answer = opts.location !== undefined ? { kind: 'location', uuid: opts.location } : opts.intention !== undefined ? { kind: 'intention', uuid: opts.intention } : undefined;
    // An answer to a listed choice must be one of its candidates: a mistyped or stale uuid would order (and pay for) something else.
    if (answer && choice) {
      if (answer.kind !== choice.kind) throw new ConfigError(`request ${id} waits for ${aChoice(choice.kind)}, not ${aChoice(answer.kind)}: answer with --${choice.kind} <uuid>, one of:\n${listed}`);
      if (!choice.candidates.some((c) => c.uuid === answer.uuid)) throw new ConfigError(`--${answer.kind}: expected one of the candidates of request ${id}, got "${answer.uuid}":\n${listed}`);
    }
    if (opts.location) await requeueOrderRequest(db, id, { location_uuid: opts.location });
    else if (opts.intention) await requeueOrderRequest(db, id, { intention_rule: `uuid:${opts.intention}` });
    else if (opts.notOrdered) await resolveInterruptedOrder(db, id, { notOrdered: true });
    else {
      const d = request.details as { location?: { uuid: string; title: string }; product?: string; intention?: { uuid: string } } | null;
      if (!request.claimed_by || !d?.product || !d.intention) throw new ConfigError(`request ${id}: no interrupted order to resolve`);
      await db.transaction().execute(async (trx) => {
        await resolveInterruptedOrder(trx, id, { ordered: opts.ordered! });
        await trx
          .insertInto('planviewer_jobs')
          .values({
            job_uuid: opts.ordered!,
            request_id: id,
            pipeline: request.claimed_by!,
            location_uuid: d.location?.uuid ?? null,
            location_title: d.location?.title ?? null,
            product: d.product!,
            intention_uuid: d.intention!.uuid,
          })
          .execute();
      });
    }
    const chosen = answer && choice?.candidates.find((c) => c.uuid === answer.uuid);
    io.out(`request #${id} resolved${chosen ? ` with ${answer.kind} ${candidateLines({ ...choice!, candidates: [chosen] })[0]}` : ''}; the next run picks it up\n`);
    return EXIT.ok;
  });
}

async function retry(io: CliOutput, configFlag: string | undefined, id: number): Promise<number> {
  return withApp(configFlag, async (app) => {
    await requeueOrderRequest(app.db.kysely, id);
    const pv = upstreamConfig(app.config, 'planviewer');
    if (pv) await unblockOrderDay(app.db.kysely, { upstream: 'planviewer', timeZone: pv.order_day_time_zone });
    io.out(`request #${id} is back in the queue\n`);
    return EXIT.ok;
  });
}
