import { BoundedMemo } from '../../core/bounded-memo.js';
import { forEachConcurrent } from '../../core/for-each-concurrent.js';
import type { ItemState } from '../../core/item-state.js';
import { StateWriter } from '../../core/state-writer.js';
import { type ContextOf, definePipeline } from '../define-pipeline.js';
import {
  type AvailabilityEntryJson,
  availabilityBoatJson,
  availabilityEntryJsonOf,
  type MaasplassenClient,
  type Prize,
} from '../../upstreams/maasplassen/client.js';
import { type MaasplassenAvailabilityConfig, maasplassenAvailabilityConfigSchema } from './config.js';
import { mirrorFleet, readFleet } from './fleet-mirror.js';
import { AvailabilityRowMapper, loadAvailabilityMapping } from './mapping.js';
import type { PriceList } from './prizes-hash.js';
import { pushWithBisection } from './push-chunk.js';
import { readAvailabilitySource } from './source.js';

/**
 * A boat-date that differs from what was last pushed (or every one, with --full). A first push holds tens of
 * thousands until their chunk goes out, so each is one small object: its date text and price list are shared
 * with other boat-dates, and its key and wire JSON are written when its chunk goes out.
 */
interface PendingPush {
  boat: string;
  date: string;
  prices: PriceList;
  isNew: boolean;
  /** Where the entry came from, so a refusal by the service names the file and line like a local rejection. */
  source: string;
  line: number;
}

interface AvailabilityPlanState {
  pushes: PendingPush[];
}

type Ctx = ContextOf<MaasplassenAvailabilityConfig, 'maasplassen'>;

const entryKey = (e: { boat: string; date: string }) => `${e.boat}|${e.date}`;

const SHOWN_ACTIONS = 100;

/** Distinct boats whose JSON an apply remembers: more than any fleet has. */
const MAX_BOATS = 10_000;

export const maasplassenAvailability = definePipeline({
  type: 'maasplassen-availability',
  description: 'Pushes boat availability and day prices from a CSV file or SQL query to Maasplassen, only what changed.',
  upstreams: ['maasplassen'],
  config: maasplassenAvailabilityConfigSchema,

  async checkSettings(settings) {
    loadAvailabilityMapping(settings.mapping);
  },

  async plan(ctx: Ctx) {
    const client = ctx.upstreams.maasplassen;
    const mapping = loadAvailabilityMapping(ctx.config.mapping);
    const mapper = new AvailabilityRowMapper(mapping);
    // The fleet is read first: an entry for a boat the company does not have would roll back its whole chunk.
    const fleet = await client.fleet(ctx.abortSignal);
    await mirrorFleet(ctx.db, client.companyId, fleet);
    // Our boat id → the fleet's own string for it: a pending push keeps that one, not a copy per source row.
    const known = new Map(fleet.flatMap((b) => (b.extId ? [[b.extId, b.extId] as const] : [])));

    // Last row wins for a boat-date, as at the service; the overridden row is reported. A boat-date keeps the
    // place of its first row: `read` is in file order, and `at` finds a boat-date's place without a key string.
    const read: PendingPush[] = [];
    const at = new Map<string, Map<string, number>>();
    for await (const { source, columns, rows } of readAvailabilitySource(ctx.config.source)) {
      ctx.count('seen', rows.length);
      for (const row of rows) {
        if (row.error !== undefined || !row.fields) {
          await ctx.reject.add({ source, line: row.line, reason: row.error ?? 'unreadable row' });
          continue;
        }
        const mapped = mapper.map(columns, row.fields);
        if ('reason' in mapped) {
          await ctx.reject.add({ source, line: row.line, field: mapped.field, reason: mapped.reason, value: mapped.value });
          continue;
        }
        if (!inRange(mapped.date, ctx.options.since, ctx.options.until)) continue;
        const boat = known.get(mapped.boat);
        if (boat === undefined) {
          await ctx.reject.add({
            itemKey: entryKey(mapped),
            source,
            line: row.line,
            field: mapping.boat,
            reason: `boat "${mapped.boat}" is not in the fleet of company ${client.companyId}`,
            value: mapped.boat,
          });
          continue;
        }
        let dates = at.get(boat);
        if (!dates) at.set(boat, (dates = new Map()));
        // isNew is filled in below, once every row is read.
        const push: PendingPush = { boat, date: mapped.date, prices: mapped.prices, isNew: true, source, line: row.line };
        const earlier = dates.get(mapped.date);
        if (earlier === undefined) {
          dates.set(mapped.date, read.length);
          read.push(push);
        } else {
          const { source: was, line } = read[earlier]!;
          await ctx.reject.add({ itemKey: entryKey(mapped), source: was, line, reason: `superseded by line ${row.line} (same boat and date)` });
          read[earlier] = push;
        }
      }
    }

    // A first push (no state stored yet) looks nothing up: sending every key to find no row is all it would do.
    const firstPush = await ctx.state.isEmpty();
    const keys = firstPush ? [] : read.map(entryKey);
    const stored = ctx.options.full ? new Map<string, ItemState>() : await ctx.state.getMany(keys);
    const previous = ctx.options.full ? await ctx.state.getMany(keys) : stored;
    const pushes = firstPush
      ? read
      : read.filter((p, i) => {
          const key = keys[i]!;
          if (stored.get(key)?.hash === p.prices.hash) return false;
          p.isNew = !previous.has(key);
          return true;
        });
    const unchanged = read.length - pushes.length;
    if (unchanged > 0) ctx.count('unchanged', unchanged);
    const created = pushes.filter((p) => p.isNew).length;
    // A sample for --dry-run to print: 50,000 action objects would only be garbage on every real run.
    const shown = pushes.slice(0, SHOWN_ACTIONS);
    return {
      summary: { fleet: fleet.length, push: pushes.length, create: created, update: pushes.length - created, unchanged, rejected: ctx.reject.count },
      actions: shown.map((p) => {
        const prizes = prizesOf(p);
        return { action: p.isNew ? 'create' : 'update', key: entryKey(p), detail: { prizes: prizes === null ? 'not available' : prizes } };
      }),
      omitted: pushes.length - shown.length,
      state: { pushes },
    };
  },

  async apply(ctx: Ctx, plan) {
    const { pushes } = plan.state as AvailabilityPlanState;
    const client = ctx.upstreams.maasplassen;
    const size = ctx.config.chunk_size;
    const chunks: PendingPush[][] = [];
    for (let i = 0; i < pushes.length; i += size) chunks.push(pushes.slice(i, i + size));
    // A chunk that lands but whose checkpoint a kill prevents must not leave the older hash standing (see voidMany).
    await ctx.state.voidMany(pushes.filter((p) => !p.isNew).map(entryKey));
    let done = 0;
    // A boat's id as JSON is written once per run, not once per boat-date (the boats are the fleet's, a few hundred).
    const boatJson = new BoundedMemo(MAX_BOATS, availabilityBoatJson);
    const wire = (p: PendingPush) => availabilityEntryJsonOf(boatJson.get(p.boat), p.date, p.prices.json);
    // As many chunks in flight as the upstream's rate limit allows; the gateway's queue does the limiting.
    // What landed is recorded while the next chunks go out, so a stop loses nothing once the writes are drained.
    // Boat-dates without a stored state are inserted, not upserted: the plan saw none under the pipeline's lock.
    const writers: LandedWriters = { created: new StateWriter({ putMany: (states) => ctx.state.insertMany(states) }), updated: new StateWriter(ctx.state) };
    const drain = async () => {
      const drained = await Promise.allSettled([writers.created.drain(), writers.updated.drain()]);
      for (const d of drained) if (d.status === 'rejected') throw d.reason;
    };
    try {
      await forEachConcurrent(chunks, ctx.global.upstreams.maasplassen?.rate.concurrency ?? 1, ctx.stopSignal, async (chunk) => {
        await pushChunk(ctx, client, chunk, writers, wire);
        done += chunk.length;
        ctx.progress(done, pushes.length, 'push');
      });
    } catch (err) {
      await drain().catch(() => undefined); // what landed before the failure is still recorded
      throw err;
    }
    await drain();
    if (done < pushes.length) ctx.log.warn({ remaining: pushes.length - done }, 'stopped early: shutdown requested');
  },

  async status(ctx) {
    const companyId = ctx.global.upstreams.maasplassen?.company_id;
    if (companyId === undefined) return {};
    const fleet = await readFleet(ctx.db, companyId);
    return {
      fleet: fleet.map((b) => ({ ours: b.ext_id, theirs: b.boat_id, name: b.name, type: b.type, visible: b.visible })),
    };
  },
});

function inRange(date: string, since?: string, until?: string): boolean {
  return (!since || date >= since) && (!until || date <= until);
}

interface LandedWriters {
  created: StateWriter;
  updated: StateWriter;
}

/** Pushes one chunk (bisecting on rollback), records what landed, reports what the service refused. */
async function pushChunk(
  ctx: Ctx,
  client: MaasplassenClient,
  chunk: PendingPush[],
  writers: LandedWriters,
  wire: (p: PendingPush) => AvailabilityEntryJson,
): Promise<void> {
  const outcome = await pushWithBisection(chunk, (part) => client.updateAvailability(part.map(wire), ctx.abortSignal));
  const created: ItemState[] = [];
  const updated: ItemState[] = [];
  for (const p of outcome.pushed) (p.isNew ? created : updated).push({ key: entryKey(p), hash: p.prices.hash, remoteId: null, data: null });
  await Promise.all([writers.created.record(created), writers.updated.record(updated)]);
  if (created.length > 0) ctx.count('created', created.length);
  if (updated.length > 0) ctx.count('updated', updated.length);
  for (const { item: p, reason } of outcome.rejected) {
    await ctx.reject.add({ itemKey: entryKey(p), source: p.source, line: p.line, reason: `refused by Maasplassen: ${reason}`, value: prizesOf(p) });
  }
  if (outcome.requests > 1) ctx.log.info({ chunk: chunk.length, requests: outcome.requests, rejected: outcome.rejected.length }, 'chunk bisected');
}

/** The prizes back from the wire JSON, for the rare paths that show them (a dry-run sample, a refusal's value). */
function prizesOf(p: PendingPush): Prize[] | null {
  return JSON.parse(p.prices.json) as Prize[] | null;
}
