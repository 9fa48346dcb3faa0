/**
 * The plan: read the remote catalog (List, paged) and each CSV (streamed), and decide per item create, update
 * or leave alone; per image upload or not; which items need Refresh; what to prune. Nothing remote changes here.
 *
 * The CSVs are parsed, mapped and hashed on a worker thread (catalog-scan.ts), started before the remote listing
 * so the two overlap; this thread decides row by row once the remote side is in the index. A file exactly as the
 * last run that changed anything left it in step (file-snapshot.ts) is read only if the remote catalog listed
 * is not the one that run left: otherwise its plan is known without reading it. A listing with the same bytes
 * as one a run already decoded and checked is not decoded again (listing-digest.ts).
 *
 * No item stays in memory: the remote side is kept as a fingerprint and a content hash per reference, off the
 * heap, and the decisions as flag bits (reference-index.ts); stored checkpoints are read once and kept there as a
 * bit too; the plan's actions are a sample with full counts in the summary. Apply reads the catalogs again.
 */
import { resolve } from 'node:path';
import { forEachConcurrent } from '../../core/for-each-concurrent.js';
import type { Rejection } from '../../core/rejections.js';
import type { Plan } from '../../core/types.js';
import type { ContextOf } from '../define-pipeline.js';
import type { PlanogramBuilderClient } from '../../upstreams/planogrambuilder/client.js';
import type { EncodedPage } from '../../upstreams/planogrambuilder/list-page.js';
import { type AnyItem, ITEM_KINDS, itemMethod } from '../../upstreams/planogrambuilder/wire.js';
import { type CatalogSource, catalogRows, loadSources } from './catalog-rows.js';
import { CatalogScan, type ScannedRow } from './catalog-scan.js';
import { changedFields, ITEM_HASH_BYTES, itemHashInto, itemKey } from './compare.js';
import type { PlanogramCatalogConfig } from './config.js';
import { checkpointsDigest, type FileSnapshot, inputDigest, loadSnapshot, recordListing } from './file-snapshot.js';
import { FP_BYTES, fingerprintInto } from './fingerprint.js';
import { ListingDigest, pageDigest } from './listing-digest.js';
import { SECTION_OF } from './mapping.js';
import { addImageUse, type ImageUse, planImages, type Reject } from './plan-images.js';
import { ActionSample, type CatalogPlanState, type KindPlan } from './plan-state.js';
import { Flag, ReferenceIndex } from './reference-index.js';

type Ctx = ContextOf<PlanogramCatalogConfig, 'planogrambuilder'>;

/** Actions of each kind (create, update, …) a plan lists; the summary counts them all. */
const SAMPLE_PER_ACTION = 200;

export async function planCatalog(ctx: Ctx): Promise<Plan<CatalogPlanState>> {
  const sources = await loadSources(ctx.config);
  // Hashed while signing in; an unreadable file is the scan's to report.
  const inputs = Promise.all(sources.map((src) => inputDigest(src, ctx.config).catch(() => undefined)));
  const client = ctx.upstreams.planogrambuilder;
  const release = await client.connect(ctx.abortSignal);
  try {
    const plan = await buildPlan(ctx, client, sources, await inputs, release);
    if (ctx.options.dryRun) await release();
    return plan;
  } catch (err) {
    await release();
    throw err;
  }
}

async function buildPlan(ctx: Ctx, client: PlanogramBuilderClient, sources: CatalogSource[], inputDigests: (string | undefined)[], release: () => Promise<void>): Promise<Plan<CatalogPlanState>> {
  const state: CatalogPlanState = { release, kinds: [], uploads: new Map(), uploadedBefore: new Map(), refreshKinds: new Set(), settledImages: [], pruneRefused: undefined };
  const sample = new ActionSample(SAMPLE_PER_ACTION);
  const images = new Map<string, ImageUse>();
  let rejected = 0;
  const reject: Reject = async (r) => {
    rejected++;
    await ctx.reject.add(r);
  };

  const kinds: KindPlan[] = sources.map((src) => ({ src, index: new ReferenceIndex(), writes: 0, settles: 0, deletes: [], snapshot: undefined, fromSnapshot: false }));
  const inputOf = new Map(kinds.map((kind, i) => [kind, inputDigests[i]]));
  const known = new Map<KindPlan, FileSnapshot>();
  for (const [kind, input] of inputOf) {
    const snapshot = input && !ctx.options.full ? await loadSnapshot(ctx.state, kind.src.kind, input) : undefined;
    if (snapshot) known.set(kind, snapshot);
  }
  // Files that must be read anyway are read on the worker while this thread lists the remote side.
  const scans: CatalogScan[] = [];
  const scanOf = (list: KindPlan[]) => {
    const scan = new CatalogScan(list.map((k) => k.src));
    scans.push(scan);
    return new Map(list.map((k, i) => [k, () => scan.rows(i)]));
  };
  let unchanged = 0;
  try {
    const early = kinds.filter((k) => !known.has(k));
    const rowsOf = early.length ? scanOf(early) : new Map<KindPlan, () => AsyncGenerator<ScannedRow>>();
    // The database digests the checkpoints while this thread lists.
    const checkpoints = new Map([...known.keys()].map((k) => [k, checkpointsDigest(ctx.state, k.src.kind)]));
    for (const digest of checkpoints.values()) digest.catch(() => undefined); // awaited below, after the listing
    const listings = new Map<KindPlan, Listing>();
    for (const kind of kinds) listings.set(kind, await listRemote(ctx, client, kind, known.get(kind)?.listed));
    for (const [kind, snapshot] of known) {
      const listing = listings.get(kind)!;
      const asLeft = listing.remote === snapshot.remote && (await checkpoints.get(kind)) === snapshot.state;
      if (asLeft && (await reuseSnapshot(ctx, kind, snapshot, images))) {
        unchanged += snapshot.accepted;
        // Decoded and found as that run left it: the next run with the same bytes need not decode them.
        const listed = listing.bytesDiffered || !listing.wire ? null : { wire: listing.wire, remote: listing.remote };
        if (!ctx.options.dryRun && listing.indexed && snapshot.listed !== null) await recordListing(ctx.state, kind.src.kind, inputOf.get(kind)!, snapshot, listed);
      }
    }
    // A kind to read whose listing was taken from its bytes alone: its items are needed one by one after all.
    for (const kind of kinds) if (!kind.fromSnapshot && !listings.get(kind)!.indexed) listings.set(kind, await listRemote(ctx, client, kind, undefined));
    const remoteTotals = new Map([...listings].map(([kind, listing]) => [kind, listing.total]));
    const late = kinds.filter((k) => known.has(k) && !k.fromSnapshot);
    for (const [kind, rows] of late.length ? scanOf(late) : []) rowsOf.set(kind, rows);
    if (!ctx.options.full && rowsOf.size > 0) await markCheckpointed(ctx, kinds);
    for (const kind of kinds) {
      const rows = rowsOf.get(kind);
      if (rows) {
        const started = performance.now();
        const read = await readCatalog(ctx, client, kind, rows(), sample, images, reject);
        unchanged += read.unchanged;
        ctx.log.info({ kind: kind.src.kind, file: kind.src.file, writes: kind.writes, ms: Math.round(performance.now() - started) }, 'compared the catalog file with it');
        if (ctx.config.prune && read.counts.unread > 0) await ctx.reject.warn(pruneSkipped(kind, read.counts));
        else if (ctx.config.prune) await prune(ctx, client, kind, remoteTotals.get(kind)!, state, sample);
        const input = inputOf.get(kind);
        if (input) {
          kind.snapshot = { input, data: { run: ctx.runId, ...read.counts, remote: kind.index.plannedDigest, images: [...read.images.values()] } };
        }
      }
      state.kinds.push(kind);
    }
  } finally {
    for (const scan of scans) await scan.close();
  }

  const refresh = ctx.config.source.images ? await planImages(ctx, client, resolve(ctx.config.source.images), images, state, sample) : 0;
  const count = (flag: number) => state.kinds.reduce((n, k) => n + k.index.count(flag), 0);
  const summary = {
    create: count(Flag.CREATE),
    update: count(Flag.UPDATE),
    unchanged,
    upload: state.uploads.size,
    refresh,
    delete: state.kinds.reduce((n, k) => n + k.deletes.length, 0),
    rejected,
  };
  return { summary, actions: sample.actions, omitted: sample.omitted, state };
}

/**
 * A file as the last run that changed anything left it in step, and the remote catalog as that run left it: the
 * plan is that run's end state, every row unchanged. Its rows are counted and its rejected rows reported again
 * (from that run's records) without reading the file. False when those records are gone: the file is read.
 */
async function reuseSnapshot(ctx: Ctx, kind: KindPlan, snapshot: FileSnapshot, images: Map<string, ImageUse>): Promise<boolean> {
  const { file } = kind.src;
  const rejections = await ctx.db
    .selectFrom('rejections')
    .select(['item_key', 'source', 'line', 'field', 'reason', 'value'])
    .where('run_id', '=', snapshot.run)
    .where('pipeline', '=', ctx.pipeline)
    .where('severity', '=', 'rejected')
    .orderBy('id')
    .offset(snapshot.firstRejection)
    .limit(snapshot.rejected)
    .execute();
  if (rejections.length !== snapshot.rejected || rejections.some((r) => r.source !== file)) return false;
  kind.fromSnapshot = true;
  ctx.log.info({ kind: kind.src.kind, file, run: snapshot.run }, 'the catalog file and the remote catalog are as that run left them: every row unchanged, the file is not read again');
  ctx.count('seen', snapshot.seen);
  ctx.count('unchanged', snapshot.accepted);
  // The file is the one that run could not read in full, so this run may not prune its kind either.
  if (ctx.config.prune && snapshot.unread > 0) await ctx.reject.warn(pruneSkipped(kind, snapshot));
  for (const r of rejections) {
    await ctx.reject.add({ itemKey: r.item_key ?? undefined, source: file, line: r.line ?? undefined, field: r.field ?? undefined, reason: r.reason, value: r.value ?? undefined });
  }
  for (const [name, users] of snapshot.images) addImageUse(images, name, kind.src.kind, users, true);
  return true;
}

/** An update the plan lists, completed after the stream with why it changed (and, for a dry run, what). */
interface ListedUpdate {
  key: string;
  line: number;
  reference: string;
  /** The catalog item's hash (hex), as the index keeps it. */
  hash: string;
  detail: Record<string, unknown>;
}

/** One kind's remote catalog as listed. */
interface Listing {
  /** The listing's digest as received (listing-digest.ts); undefined when the client cannot name its definition. */
  wire: string | undefined;
  /** The remote catalog's set digest (reference-index.ts): computed, or known from an earlier run's check. */
  remote: string;
  /** The items are in the kind's index (false: taken from their bytes alone, the index is empty). */
  indexed: boolean;
  /** The bytes differed from the trusted listing's, so the items were decoded after all. */
  bytesDiffered: boolean;
  total: number;
}

/**
 * Lists one kind's remote catalog. With `trusted` (a listing an earlier run decoded and checked, file-snapshot.ts),
 * first by its bytes alone: the same bytes are that catalog, without decoding an item. Otherwise (or when the
 * bytes differ) item by item into the kind's index.
 */
async function listRemote(ctx: Ctx, client: PlanogramBuilderClient, plan: KindPlan, trusted: FileSnapshot['listed']): Promise<Listing> {
  const definition = await client.definitionDigest();
  if (trusted && definition) {
    const wire = await readRemote(ctx, client, plan, definition, false);
    if (wire.digest() === trusted.wire) return { wire: trusted.wire, remote: trusted.remote, indexed: false, bytesDiffered: false, total: wire.count };
    ctx.log.info({ kind: plan.src.kind }, 'the remote catalog is not the listing an earlier run checked, byte for byte: reading it item by item');
  }
  const wire = await readRemote(ctx, client, plan, definition ?? '', true);
  return { wire: definition && wire.digest(), remote: plan.index.remoteDigest, indexed: true, bytesDiffered: !!trusted, total: plan.index.size };
}

/** Lists one kind's remote items, into its index when `decode` (else only their bytes are digested). */
async function readRemote(ctx: Ctx, client: PlanogramBuilderClient, plan: KindPlan, definition: string, decode: boolean): Promise<ListingDigest> {
  const { kind } = plan.src;
  ctx.progress(0, 0, `reading remote ${SECTION_OF[kind]}`);
  const started = performance.now();
  const wire = new ListingDigest(definition);
  const project = (page: EncodedPage<AnyItem>): RemotePage => (decode ? remotePage(page) : { digest: pageDigest(page), items: page.length, entries: undefined });
  for await (const { digest, items, entries } of client.listPages(kind, project, { signal: ctx.abortSignal })) {
    wire.add(digest, items);
    if (entries) for (let at = 0; at < entries.length; at += REMOTE_ENTRY) plan.index.addRemoteFingerprint(entries, at, entries, at + FP_BYTES);
  }
  ctx.log.info({ kind, remote: wire.count, decoded: decode, ms: Math.round(performance.now() - started) }, 'read the remote catalog');
  return wire;
}

/** Bytes per remote item in a page as `remotePage` keeps it: its reference's fingerprint, then its item hash. */
const REMOTE_ENTRY = FP_BYTES + ITEM_HASH_BYTES;

/** A listed page as kept until its turn: its `pageDigest`, its length, and (when decoded) its index entries. */
interface RemotePage {
  digest: Uint8Array;
  items: number;
  entries: Uint8Array | undefined;
}

/** A listed page as the index takes it: run as the page arrives, each item decoded, hashed and dropped in turn. */
function remotePage(items: EncodedPage<AnyItem>): RemotePage {
  const out = new Uint8Array(items.length * REMOTE_ENTRY);
  for (let i = 0; i < items.length; i++) {
    const item = items.item(i);
    fingerprintInto(item.reference.toLowerCase(), out, i * REMOTE_ENTRY);
    itemHashInto(item, out, i * REMOTE_ENTRY + FP_BYTES);
  }
  return { digest: pageDigest(items), items: items.length, entries: out };
}

/**
 * Marks the remote items whose stored checkpoint already equals them, reading every checkpoint once in key
 * order: an unchanged row then needs no lookup of its own (one query per thousand rows cost more than the rest
 * of a no-change run).
 */
async function markCheckpointed(ctx: Ctx, kinds: KindPlan[]): Promise<void> {
  const indexOf = new Map(kinds.map((k) => [k.src.kind as string, k.index]));
  for await (const stored of ctx.state.all()) {
    const colon = stored.key.indexOf(':');
    indexOf.get(stored.key.slice(0, colon))?.markCheckpointed(stored.key.slice(colon + 1), stored.hash);
  }
}

/** What reading one catalog found, besides the decisions in its index: counts and image uses for its snapshot. */
interface CatalogRead {
  unchanged: number;
  counts: Pick<FileSnapshot, 'seen' | 'accepted' | 'firstRejection' | 'rejected' | 'unread' | 'firstUnread'>;
  /** Image names the rows use (by lower-cased name): as first written, and how many rows use each. */
  images: Map<string, [string, number]>;
}

/** Goes through one catalog's scanned rows with the remote listing at hand. */
async function readCatalog(ctx: Ctx, client: PlanogramBuilderClient, plan: KindPlan, rows: AsyncIterable<ScannedRow>, sample: ActionSample, images: Map<string, ImageUse>, reject: Reject): Promise<CatalogRead> {
  const { src, index } = plan;
  const { kind, file } = src;
  const full = !!ctx.options.full;
  let unchanged = 0;
  const counts: CatalogRead['counts'] = { seen: 0, accepted: 0, firstRejection: ctx.reject.count, rejected: 0, unread: 0, firstUnread: null };
  const used = new Map<string, [string, number]>();
  const updates: ListedUpdate[] = [];

  for await (const row of rows) {
    ctx.count('seen');
    counts.seen++;
    const { problem, reference } = row;
    if (problem && 'error' in problem) {
      // A record the CSV reader could not read: whatever item it held is unknown, so the kind is not pruned.
      counts.unread++;
      counts.firstUnread ??= row.line;
      await reject({ source: file, line: row.line, reason: problem.error });
      continue;
    }
    const lower = reference?.toLowerCase();
    let slot = -1;
    if (lower) {
      const seen = index.seeFingerprint(row.fingerprint, row.line);
      if (seen.firstLine !== undefined) {
        await reject({ itemKey: itemKey(kind, lower), source: file, line: row.line, field: src.mapping.fields.reference?.column, reason: `duplicate reference "${reference}" (first at line ${seen.firstLine}); not sent twice`, value: reference });
        continue;
      }
      slot = seen.slot;
    }
    if (problem) {
      await reject({ itemKey: lower && itemKey(kind, lower), source: file, line: row.line, field: problem.column, reason: problem.reason, value: problem.value });
      continue;
    }
    counts.accepted++;
    const key = itemKey(kind, reference!);
    let written = true;
    if (!index.has(slot, Flag.REMOTE)) {
      index.set(slot, Flag.CREATE);
      index.planWrite(slot, row.hash);
      plan.writes++;
      sample.add({ action: 'create', key, detail: { kind, reference, line: row.line } });
    } else if (!index.sameAsRemoteBytes(slot, row.hash)) {
      index.set(slot, Flag.UPDATE);
      index.planWrite(slot, row.hash);
      plan.writes++;
      const listed = sample.add({ action: 'update', key, detail: { kind, reference, line: row.line } });
      if (listed) updates.push({ key, line: row.line, reference: reference!, hash: Buffer.from(row.hash).toString('hex'), detail: listed.detail! });
    } else {
      written = false;
      unchanged++;
      ctx.count('unchanged');
      // Remote equal to the catalog: record the checkpoint where the stored one differs (or is missing).
      if (full || !index.has(slot, Flag.CHECKPOINTED)) {
        index.set(slot, Flag.SETTLE);
        plan.settles++;
      }
    }
    for (const name of row.images) {
      const mine = used.get(name.toLowerCase()) ?? [name, 0];
      mine[1]++;
      used.set(name.toLowerCase(), mine);
      addImageUse(images, name, kind, 1, !written);
    }
  }
  await describeUpdates(ctx, client, src, updates);
  // Only this loop rejected anything since firstRejection.
  counts.rejected = ctx.reject.count - counts.firstRejection;
  return { unchanged, counts, images: used };
}

/**
 * Completes the listed updates: why (the stored checkpoint says whether the catalog or the remote side moved)
 * and, for a dry run, which fields change — the catalog rows read again (the scan keeps only hashes), the remote
 * items read with Get.
 */
async function describeUpdates(ctx: Ctx, client: PlanogramBuilderClient, src: CatalogSource, updates: ListedUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  const stored = await ctx.state.getMany(updates.map((u) => u.key));
  for (const u of updates) u.detail.why = stored.get(u.key)?.hash === u.hash ? 'changed remotely' : 'changed in the catalog';
  if (!ctx.options.dryRun) return;
  const wanted = new Map(updates.map((u) => [u.line, u]));
  const items = new Map<ListedUpdate, AnyItem>();
  for await (const row of catalogRows(src)) {
    const u = wanted.get(row.line);
    if (u && row.mapped?.ok) items.set(u, row.mapped.item);
    if (items.size === wanted.size) break;
  }
  const field = ITEM_KINDS[src.kind].field;
  await forEachConcurrent(updates, 8, ctx.abortSignal, async (u) => {
    const item = items.get(u);
    if (!item) return; // the file changed under the plan; its apply skips the row too
    try {
      const res = (await client.call(itemMethod(src.kind, 'Get') as 'GetProduct', { reference: u.reference }, { signal: ctx.abortSignal, itemKey: u.key })) as unknown as Record<string, AnyItem | null>;
      const remote = res[field];
      if (remote) u.detail.changed = changedFields(remote, item);
    } catch (err) {
      // Only the printout loses detail; the plan itself stands.
      ctx.log.warn({ err, itemKey: u.key }, 'could not read the remote item to list its changed fields');
    }
  });
}

/**
 * Why a kind is not pruned when some records of its file could not be read (quote, encoding, size, column
 * count): an item whose row was not read would look deleted. The same words for a file read now and for one
 * whose snapshot says it is the file an earlier run could not read in full.
 */
function pruneSkipped(plan: KindPlan, unread: Pick<FileSnapshot, 'unread' | 'firstUnread'>): Rejection {
  const { kind, file } = plan.src;
  const records = unread.unread === 1 ? '1 record' : `${unread.unread} records`;
  const reason = `${SECTION_OF[kind]} not pruned: ${records} of ${file} could not be read (first at line ${unread.firstUnread}), and an item whose row was not read would look deleted; fix the rejected rows and the next run prunes`;
  return { source: file, line: unread.firstUnread ?? undefined, reason };
}

/**
 * Remote items the catalog does not name, deleted within the guard. The index keeps fingerprints, not names, so
 * the doomed references are read with a second List of the kind (only when there is something to prune).
 */
async function prune(ctx: Ctx, client: PlanogramBuilderClient, plan: KindPlan, remoteTotal: number, state: CatalogPlanState, sample: ActionSample): Promise<void> {
  const { kind } = plan.src;
  const doomed = plan.index.count(Flag.REMOTE, Flag.SEEN);
  if (doomed === 0) return;
  const share = doomed / remoteTotal;
  const refused = share > ctx.config.prune_max_share && !ctx.options.force;
  if (refused) {
    const message = `prune refused: it would delete ${doomed} of ${remoteTotal} remote ${SECTION_OF[kind]} (${(share * 100).toFixed(1)} %), more than prune_max_share ${(ctx.config.prune_max_share * 100).toFixed(1)} %; re-run with --force if that is intended`;
    state.pruneRefused = state.pruneRefused ? `${state.pruneRefused}; ${message}` : message;
    ctx.log.error({ kind, deletes: doomed, remoteTotal }, message);
  }
  if (!refused) plan.index.planPrune();
  for await (const item of client.list(kind, { signal: ctx.abortSignal })) {
    if (!plan.index.absent(item.reference.toLowerCase())) continue;
    if (!refused) plan.deletes.push(item.reference);
    sample.add({ action: 'delete', key: itemKey(kind, item.reference), detail: { kind, reference: item.reference, ...(refused ? { refused: true } : {}) } });
  }
}
