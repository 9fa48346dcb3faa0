import { contentHash } from '../../core/content-hash.js';
import { forEachConcurrent } from '../../core/for-each-concurrent.js';
import type { ItemState } from '../../core/item-state.js';
import { StateWriter } from '../../core/state-writer.js';
import { type ContextOf, definePipeline } from '../define-pipeline.js';
import type { AvailabilityEntry, MaasplassenClient } from '../../upstreams/maasplassen/client.js';
import { type MaasplassenAvailabilityConfig, maasplassenAvailabilityConfigSchema } from './config.js';
import { mirrorFleet, readFleet } from './fleet-mirror.js';
import { loadAvailabilityMapping, mapAvailabilityRow } from './mapping.js';
import { pushWithBisection } from './push-chunk.js';
import { readAvailabilitySource } from './source.js';

/** A boat-date that differs from what was last pushed (or every one, with --full). */
interface PendingPush {
  key: string;
  hash: string;
  entry: AvailabilityEntry;
  isNew: boolean;
  /** Where the entry came from, so a refusal by the service names the file and line like a local rejection. */
  source: string;
  line: number;
}

interface AvailabilityPlanState {
  pushes: PendingPush[];
}

type Ctx = ContextOf<MaasplassenAvailabilityConfig, 'maasplassen'>;

const entryKey = (e: AvailabilityEntry) => `${e.boat}|${e.date}`;

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
    // The fleet is read first: an entry for a boat the company does not have would roll back its whole chunk.
    const fleet = await client.fleet(ctx.abortSignal);
    await mirrorFleet(ctx.db, client.companyId, fleet);
    const known = new Set(fleet.flatMap((b) => (b.extId ? [b.extId] : [])));

    // Last row wins for a boat-date, as at the service; the overridden row is reported.
    const latest = new Map<string, { entry: AvailabilityEntry; source: string; line: number }>();
    for await (const row of readAvailabilitySource(ctx.config.source)) {
      ctx.count('seen');
      if (row.error !== undefined || !row.values) {
        await ctx.reject.add({ source: row.source, line: row.line, reason: row.error ?? 'unreadable row' });
        continue;
      }
      const mapped = mapAvailabilityRow(row.values, mapping);
      if ('reason' in mapped) {
        await ctx.reject.add({ source: row.source, line: row.line, field: mapped.field, reason: mapped.reason, value: mapped.value });
        continue;
      }
      if (!inRange(mapped.date, ctx.options.since, ctx.options.until)) continue;
      if (!known.has(mapped.boat)) {
        await ctx.reject.add({
          itemKey: entryKey(mapped),
          source: row.source,
          line: row.line,
          field: mapping.boat,
          reason: `boat "${mapped.boat}" is not in the fleet of company ${client.companyId}`,
          value: mapped.boat,
        });
        continue;
      }
      const key = entryKey(mapped);
      const earlier = latest.get(key);
      if (earlier) {
        await ctx.reject.add({ itemKey: key, source: earlier.source, line: earlier.line, reason: `superseded by line ${row.line} (same boat and date)` });
      }
      latest.set(key, { entry: mapped, source: row.source, line: row.line });
    }

    const keys = [...latest.keys()];
    const stored = ctx.options.full ? new Map<string, ItemState>() : await ctx.state.getMany(keys);
    const previous = ctx.options.full ? await ctx.state.getMany(keys) : stored;
    const pushes: PendingPush[] = [];
    for (const [key, { entry, source, line }] of latest) {
      const hash = contentHash(entry.prizes);
      if (stored.get(key)?.hash === hash) {
        ctx.count('unchanged');
        continue;
      }
      pushes.push({ key, hash, entry, isNew: !previous.has(key), source, line });
    }
    const created = pushes.filter((p) => p.isNew).length;
    return {
      summary: { fleet: fleet.length, push: pushes.length, create: created, update: pushes.length - created, unchanged: keys.length - pushes.length, rejected: ctx.reject.count },
      actions: pushes.map((p) => ({
        action: p.isNew ? 'create' : 'update',
        key: p.key,
        detail: { prizes: p.entry.prizes === null ? 'not available' : p.entry.prizes },
      })),
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
    await ctx.state.voidMany(pushes.filter((p) => !p.isNew).map((p) => p.key));
    let done = 0;
    // As many chunks in flight as the upstream's rate limit allows; the gateway's queue does the limiting.
    // What landed is recorded while the next chunks go out, so a stop loses nothing once the writes are drained.
    const writer = new StateWriter(ctx.state);
    try {
      await forEachConcurrent(chunks, ctx.global.upstreams.maasplassen?.rate.concurrency ?? 1, ctx.stopSignal, async (chunk) => {
        await pushChunk(ctx, client, chunk, writer);
        done += chunk.length;
        ctx.progress(done, pushes.length, 'push');
      });
    } catch (err) {
      await writer.drain().catch(() => undefined); // what landed before the failure is still recorded
      throw err;
    }
    await writer.drain();
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

/** Pushes one chunk (bisecting on rollback), records what landed, reports what the service refused. */
async function pushChunk(ctx: Ctx, client: MaasplassenClient, chunk: PendingPush[], writer: StateWriter): Promise<void> {
  const byKey = new Map(chunk.map((p) => [p.key, p]));
  const outcome = await pushWithBisection(
    chunk.map((p) => p.entry),
    (entries) => client.updateAvailability(entries, ctx.abortSignal),
  );
  const landed = outcome.pushed.map((e) => byKey.get(entryKey(e))!);
  await writer.record(landed.map((p) => ({ key: p.key, hash: p.hash, remoteId: null, data: null })));
  const created = landed.filter((p) => p.isNew).length;
  if (created > 0) ctx.count('created', created);
  if (landed.length > created) ctx.count('updated', landed.length - created);
  for (const r of outcome.rejected) {
    const p = byKey.get(entryKey(r.entry))!;
    await ctx.reject.add({ itemKey: p.key, source: p.source, line: p.line, reason: `refused by Maasplassen: ${r.reason}`, value: r.entry.prizes });
  }
  if (outcome.requests > 1) ctx.log.info({ chunk: chunk.length, requests: outcome.requests, rejected: outcome.rejected.length }, 'chunk bisected');
}
