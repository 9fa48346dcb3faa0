/**
 * `koppel order ambita …`: queue an Ambita order request, answer the ones that need a human, or follow an
 * order placed outside koppel.
 *
 *   koppel order ambita --product WI99990001 [--product …] --cadastre 9999-1-1-0-0 --address "Infoveien 1, 9999 Infoland" [--reference case-42]
 *   koppel order ambita --product WI99990004 --organization 987654321 --share-number 12
 *   koppel order ambita --product WI99990005 --map area.geojson [--srid 25833]
 *   koppel order ambita resolve <request> --ordered <order id> | --not-ordered
 *   koppel order ambita retry <request>
 *   koppel order ambita track <order id> [--pipeline name]
 *
 * Each action is a function of the pipeline's module (`ambita-mirror/manual-answers.ts`, also what the web
 * console calls), which checks its input and writes the rows; this file maps flags to it and prints the answer.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { type CliOutput, positiveInt, subcommandOptions } from '../cli-args.js';
import { EXIT } from '../exit-codes.js';
import { withApp } from '../load-app.js';
import type { GlobalConfig, Wrap } from '../command-types.js';

interface QueueOptions {
  product: string[];
  cadastre?: string;
  address?: string;
  organization?: string;
  shareNumber?: string;
  map?: string;
  srid: string;
  reference?: string;
  pipeline?: string;
  again?: boolean;
}

/** Adds `ambita` (with its subcommands) under `koppel order`. */
export function ambitaOrderCommand(order: Command, config: GlobalConfig, wrap: Wrap, io: CliOutput): Command {
  const cmd = order
    .command('ambita')
    .description('queue an Ambita order request (products + cadastre, share or map), or answer one')
    .option('--product <code>', 'product code, e.g. WI99990001 (repeat for several)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--cadastre <knr-gnr-bnr-fnr-snr>', 'cadastre order: all five parts, e.g. 9999-1-1-0-0')
    .option('--address <text>', 'cadastre order: "{street}, {postcode} {place}"')
    .option('--organization <number>', 'share order: the housing company\'s 9-digit organisation number')
    .option('--share-number <text>', 'share order: the share number')
    .option('--map <file>', 'map order: a GeoJSON file with a closed Polygon')
    .option('--srid <code>', 'map order: spatial reference, 25833 or 25832', '25833')
    .option('--reference <text>', 'assignment key (Ambita bills by it)')
    .option('--pipeline <name>', 'only this ambita-mirror pipeline may take the request')
    .option('--again', 'queue it even if the same request was queued before (orders and pays again)')
    .action(wrap((opts: QueueOptions) => queue(io, config(), opts)));

  cmd
    .command('resolve <request>')
    .description('resolve an order whose outcome was unknown, after checking the Ambita account')
    .option('--ordered <orderId>', 'it WAS placed: this is its order (collection) id; koppel follows it')
    .option('--not-ordered', 'it was NOT placed: queue it again')
    .action(
      wrap((request: string, _opts: object, cmd: Command) =>
        resolve(io, config(), positiveInt('request', request), subcommandOptions<{ ordered?: string; notOrdered?: boolean }>(cmd)),
      ),
    );

  cmd
    .command('retry <request>')
    .description('put a failed or needs-attention request (with no order recorded) back in the queue')
    .action(
      wrap((request: string, _opts: object, cmd: Command) => {
        subcommandOptions(cmd); // refuses the parent's flags
        return retry(io, config(), positiveInt('request', request));
      }),
    );

  cmd
    .command('track <orderId>')
    .description('mirror an order placed outside koppel (e.g. in Ambita\'s web shop)')
    .option('--pipeline <name>', 'the ambita-mirror pipeline that follows it (default: the only one)')
    .action(
      wrap((orderId: string, _opts: object, cmd: Command) =>
        track(io, config(), positiveInt('orderId', orderId), subcommandOptions<{ pipeline?: string }>(cmd).pipeline),
      ),
    );
  return cmd;
}

/** The order data of the one kind the flags give (reading a --map file), as the request's `orderData`. */
function orderDataOf(opts: QueueOptions, mapOrderData: (geojson: unknown, srid: string) => Record<string, unknown>): Record<string, unknown> {
  const kinds = [opts.cadastre !== undefined || opts.address !== undefined, opts.organization !== undefined || opts.shareNumber !== undefined, opts.map !== undefined];
  if (kinds.filter(Boolean).length !== 1) throw new ConfigError('expected exactly one of --cadastre/--address, --organization/--share-number, --map');
  if (kinds[0]) return { cadastre: opts.cadastre, address: opts.address };
  if (kinds[1]) return { organizationNumber: opts.organization, shareNumber: opts.shareNumber };
  let geojson: unknown;
  try {
    geojson = JSON.parse(readFileSync(opts.map!, 'utf8'));
  } catch (err) {
    throw new ConfigError(`--map: cannot read a GeoJSON file at ${opts.map}: ${(err as Error).message}`);
  }
  return mapOrderData(geojson, opts.srid);
}

/** The pipeline's code is imported by the command that needs it, not by every koppel process. */
const answers = () => import('../../pipelines/ambita-mirror/manual-answers.js');

const ambitaPipelines = (config: { pipelines: readonly { type: string; name: string }[] }) =>
  config.pipelines.filter((p) => p.type === 'ambita-mirror').map((p) => p.name);

async function queue(io: CliOutput, configFlag: string | undefined, opts: QueueOptions): Promise<number> {
  if (!opts.product?.length) throw new ConfigError('--product: expected at least one product code, got nothing');
  const { queueAmbitaOrder, mapOrderData } = await answers();
  const orderData = orderDataOf(opts, mapOrderData);
  return withApp(configFlag, async (app) => {
    const pipelines = ambitaPipelines(app.config);
    const input = { products: opts.product, orderData, reference: opts.reference, pipeline: opts.pipeline, again: opts.again };
    const { request: row, created } = await queueAmbitaOrder(app.db.kysely, input, pipelines);
    if (!created) {
      io.out(`already queued as request #${row.id} (${row.status}); use --again to order it once more\n`);
      return EXIT.ok;
    }
    io.out(`queued order request #${row.id}; it is ordered by the next run of ${opts.pipeline ?? (pipelines.join(' or ') || 'an ambita-mirror pipeline (none configured)')}\n`);
    return EXIT.ok;
  });
}

async function resolve(io: CliOutput, configFlag: string | undefined, id: number, opts: { ordered?: string; notOrdered?: boolean }): Promise<number> {
  if ((opts.ordered === undefined) === !opts.notOrdered) throw new ConfigError('expected exactly one of --ordered <order id>, --not-ordered');
  const { resolveAmbitaOrder } = await answers();
  return withApp(configFlag, async (app) => {
    // The pipeline starts following an order resolved as placed on its next run.
    await resolveAmbitaOrder(app.db.kysely, id, opts.ordered !== undefined ? { ordered: opts.ordered } : { notOrdered: true });
    io.out(`request #${id} resolved; the next run picks it up\n`);
    return EXIT.ok;
  });
}

async function retry(io: CliOutput, configFlag: string | undefined, id: number): Promise<number> {
  const { retryAmbitaRequest } = await answers();
  return withApp(configFlag, async (app) => {
    await retryAmbitaRequest(app.db.kysely, id);
    io.out(`request #${id} is back in the queue\n`);
    return EXIT.ok;
  });
}

async function track(io: CliOutput, configFlag: string | undefined, orderId: number, pipeline: string | undefined): Promise<number> {
  const { trackAmbitaOrder } = await answers();
  return withApp(configFlag, async (app) => {
    const { pipeline: name, added } = await trackAmbitaOrder(app.db.kysely, orderId, pipeline, ambitaPipelines(app.config));
    io.out(added ? `pipeline ${name} now follows Ambita order ${orderId}; its next run mirrors the files\n` : `pipeline ${name} already follows order ${orderId}\n`);
    return EXIT.ok;
  });
}
