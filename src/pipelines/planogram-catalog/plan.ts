/**
 * The plan: read the remote catalog (List, paged) and each CSV (streamed), and decide per item create, update
 * or leave alone; per image upload or not; which items need Refresh; what to prune. Nothing remote changes here.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { readCsv } from '../../core/csv-source.js';
import { ConfigError } from '../../core/errors.js';
import type { ItemState } from '../../core/item-state.js';
import type { Plan, PlannedAction, PipelineContext } from '../../core/types.js';
import type { PlanogramBuilderClient } from '../../upstreams/planogrambuilder/client.js';
import type { AnyItem, ItemKind } from '../../upstreams/planogrambuilder/wire.js';
import { changedFields, imagesOf, itemHash, itemKey } from './compare.js';
import { forEachConcurrent } from '../../core/for-each-concurrent.js';
import type { PlanogramCatalogConfig } from './config.js';
import { fileKey, imageState, indexFolder, lookupImage } from './images.js';
import { type KindMapping, loadMappingFile, SECTION_OF } from './mapping.js';
import type { CatalogPlanState, ItemRef, UploadAction, WriteAction } from './plan-state.js';
import { RowMapper } from './row-mapper.js';

type Ctx = PipelineContext<PlanogramCatalogConfig>;

interface ImageUse {
  name: string;
  users: { key: string; kind: ItemKind; reference: string; source: string; line: number; written: boolean }[];
}

const KINDS: ItemKind[] = ['product', 'accessory', 'material'];

/** A remote item as the plan keeps it while the catalog streams past. */
interface RemoteItem {
  reference: string;
  hash: string;
  json: string;
}

export async function planCatalog(ctx: Ctx): Promise<Plan<CatalogPlanState>> {
  const mappings = await loadMappings(ctx.config);
  const client = ctx.upstreams.planogrambuilder;
  const release = await client.connect(ctx.abortSignal);
  try {
    const plan = await buildPlan(ctx, client, mappings, release);
    if (ctx.options.dryRun) await release();
    return plan;
  } catch (err) {
    await release();
    throw err;
  }
}

async function buildPlan(ctx: Ctx, client: PlanogramBuilderClient, mappings: Map<ItemKind, KindMapping>, release: () => Promise<void>): Promise<Plan<CatalogPlanState>> {
  const { config, options } = ctx;
  const signal = ctx.abortSignal;
  const full = !!options.full;
  const stored = new Map<string, ItemState>();
  for await (const s of ctx.state.all()) stored.set(s.key, s);

  const state: CatalogPlanState = { release, uploads: [], writes: [], refreshes: [], deletes: [], pruneRefused: undefined, settled: [] };
  const actions: PlannedAction[] = [];
  const images = new Map<string, ImageUse>();
  let unchanged = 0;
  let rejected = 0;
  const reject = async (r: Parameters<Ctx['reject']['add']>[0]) => {
    rejected++;
    ctx.count('rejected');
    await ctx.reject.add(r);
  };

  for (const [kind, mapping] of mappings) {
    const file = resolve(config.source[SECTION_OF[kind]]!);
    ctx.progress(0, 0, `reading remote ${SECTION_OF[kind]}`);
    // Kept as hash + JSON text rather than objects: a third of the memory for a 100k-item catalog.
    const remote = new Map<string, RemoteItem>();
    for await (const item of client.list(kind, { signal })) {
      remote.set(item.reference.toLowerCase(), { reference: item.reference, hash: itemHash(item), json: JSON.stringify(item) });
    }
    const remoteTotal = remote.size;
    const mapper = new RowMapper(kind, mapping);
    /** First line of each reference in this catalog (rejected rows included, so pruning never deletes them). */
    const firstLine = new Map<string, number>();
    let header = false;
    for await (const row of readCsv(file, { ...config.csv, ...mapping.csv })) {
      ctx.count('seen');
      if (row.error !== undefined) {
        await reject({ source: file, line: row.line, reason: row.error });
        continue;
      }
      if (!header) {
        mapper.checkHeader(Object.keys(row.values), file);
        header = true;
      }
      const mapped = mapper.map(row.values);
      const lower = mapped.reference?.toLowerCase();
      if (lower) {
        const first = firstLine.get(lower);
        if (first !== undefined) {
          await reject({ itemKey: itemKey(kind, lower), source: file, line: row.line, field: mapping.fields.reference?.column, reason: `duplicate reference "${mapped.reference}" (first at line ${first}); not sent twice`, value: mapped.reference });
          continue;
        }
        firstLine.set(lower, row.line);
      }
      if (!mapped.ok) {
        await reject({ itemKey: lower && itemKey(kind, lower), source: file, line: row.line, field: mapped.column, reason: mapped.reason, value: mapped.value });
        continue;
      }
      const key = itemKey(kind, mapped.reference);
      const hash = itemHash(mapped.item);
      const existing = remote.get(lower!);
      remote.delete(lower!); // what stays in `remote` is absent from the catalog
      let written = true;
      if (!existing) {
        state.writes.push({ kind, verb: 'create', key, item: mapped.item, hash, source: file, line: row.line });
        actions.push({ action: 'create', key, detail: { kind, reference: mapped.reference, line: row.line } });
      } else if (existing.hash !== hash) {
        state.writes.push({ kind, verb: 'update', key, item: mapped.item, hash, source: file, line: row.line });
        const why = stored.get(key)?.hash === hash ? 'changed remotely' : 'changed in the catalog';
        actions.push({ action: 'update', key, detail: { kind, reference: existing.reference, line: row.line, why, changed: changedFields(JSON.parse(existing.json) as AnyItem, mapped.item) } });
      } else {
        written = false;
        unchanged++;
        ctx.count('unchanged');
        if (full || stored.get(key)?.hash !== hash) state.settled.push({ key, hash, remoteId: existing.reference, data: null });
      }
      for (const name of imagesOf(mapped.item)) {
        const use = images.get(name.toLowerCase()) ?? { name, users: [] };
        use.users.push({ key, kind, reference: existing?.reference ?? mapped.reference, source: file, line: row.line, written });
        images.set(name.toLowerCase(), use);
      }
    }
    if (config.prune) prune(ctx, kind, remote, firstLine, remoteTotal, state, actions);
  }

  if (config.source.images) await planImages(ctx, client, resolve(config.source.images), images, stored, state, actions, reject);

  const summary = {
    create: state.writes.filter((w) => w.verb === 'create').length,
    update: state.writes.filter((w) => w.verb === 'update').length,
    unchanged,
    upload: state.uploads.length,
    refresh: state.refreshes.length,
    delete: state.deletes.length,
    rejected,
  };
  return { summary, actions, state };
}

function prune(ctx: Ctx, kind: ItemKind, absent: Map<string, RemoteItem>, inCatalog: Map<string, number>, remoteTotal: number, state: CatalogPlanState, actions: PlannedAction[]): void {
  const doomed = [...absent.entries()].filter(([lower]) => !inCatalog.has(lower)).map(([, item]): ItemRef => ({ kind, reference: item.reference, key: itemKey(kind, item.reference) }));
  if (doomed.length === 0) return;
  const share = doomed.length / remoteTotal;
  const refused = share > ctx.config.prune_max_share && !ctx.options.force;
  if (refused) {
    const message = `prune refused: it would delete ${doomed.length} of ${remoteTotal} remote ${SECTION_OF[kind]} (${(share * 100).toFixed(1)} %), more than prune_max_share ${(ctx.config.prune_max_share * 100).toFixed(1)} %; re-run with --force if that is intended`;
    state.pruneRefused = state.pruneRefused ? `${state.pruneRefused}; ${message}` : message;
    ctx.log.error({ kind, deletes: doomed.length, remoteTotal }, message);
  } else state.deletes.push(...doomed);
  for (const d of doomed) actions.push({ action: 'delete', key: d.key, detail: { kind, reference: d.reference, ...(refused ? { refused: true } : {}) } });
}

async function planImages(
  ctx: Ctx,
  client: PlanogramBuilderClient,
  dir: string,
  images: Map<string, ImageUse>,
  stored: Map<string, ItemState>,
  state: CatalogPlanState,
  actions: PlannedAction[],
  reject: (r: Parameters<Ctx['reject']['add']>[0]) => Promise<void>,
): Promise<void> {
  const full = !!ctx.options.full;
  const index = await indexFolder(dir);
  const remoteFiles = new Set<string>();
  for await (const name of client.list('file', { signal: ctx.abortSignal })) remoteFiles.add(name.toLowerCase());
  const refresh = new Map<string, ItemRef>();
  const uploads: UploadAction[] = [];
  await forEachConcurrent(images.entries(), 16, ctx.abortSignal, async ([lower, use]) => {
    const known = full ? undefined : stored.get(fileKey(lower));
    const look = await lookupImage(dir, index, use.name, known, full);
    if (!look.ok) {
      for (const u of use.users) await reject({ itemKey: u.key, source: u.source, line: u.line, field: 'images', reason: `${look.reason} (the item is synced without it)`, value: use.name });
      return;
    }
    let upload: boolean;
    if (!remoteFiles.has(lower)) upload = true;
    else if (known) upload = known.hash !== look.image.sha256;
    else {
      // No checkpoint (first run against a filled account, or --full): compare with the remote content, a read.
      const remote = await client.call('DownloadFile', { filename: use.name }, { signal: ctx.abortSignal, itemKey: fileKey(lower) });
      upload = createHash('sha256').update(remote.data).digest('hex') !== look.image.sha256;
    }
    if (upload) {
      uploads.push({ image: look.image, users: use.users.map((u) => u.key) });
      for (const u of use.users) if (!u.written) refresh.set(u.key, { kind: u.kind, reference: u.reference, key: u.key });
    } else if (look.hashed || !known) state.settled.push(imageState(look.image));
  });
  uploads.sort((a, b) => a.image.name.localeCompare(b.image.name));
  state.uploads = uploads;
  state.refreshes = [...refresh.values()].sort((a, b) => a.key.localeCompare(b.key));
  for (const u of uploads) actions.push({ action: 'upload', key: fileKey(u.image.name), detail: { file: u.image.name, bytes: u.image.size, usedBy: u.users.length } });
  for (const r of state.refreshes) actions.push({ action: 'refresh', key: r.key, detail: { kind: r.kind, reference: r.reference } });
}

async function loadMappings(config: PlanogramCatalogConfig): Promise<Map<ItemKind, KindMapping>> {
  const out = new Map<ItemKind, KindMapping>();
  const files = new Map<string, Awaited<ReturnType<typeof loadMappingFile>>>();
  for (const kind of KINDS) {
    const section = SECTION_OF[kind];
    if (!config.source[section]) continue;
    const path = typeof config.mapping === 'string' ? config.mapping : config.mapping[section];
    if (!path) throw new ConfigError(`mapping.${section}: expected a mapping file, since source.${section} is set`);
    const file = files.get(path) ?? (await loadMappingFile(resolve(path)));
    files.set(path, file);
    const mapping = file[section];
    if (!mapping) throw new ConfigError(`mapping ${path}: expected a "${section}:" section, since source.${section} is set`);
    out.set(kind, mapping);
  }
  return out;
}
