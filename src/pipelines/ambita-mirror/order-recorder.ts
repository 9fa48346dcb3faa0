import type { Kysely } from 'kysely';
import { clearDownloadFailures } from '../../core/download-failures.js';
import type { StagedFile } from '../../core/file-store.js';
import type { DB } from '../../db/schema.js';
import { markCompleted, markVendorEnded } from '../../orders/index.js';
import * as store from './mirror-store.js';
import type { MirrorContext as Ctx, MirrorPlanState } from './plan-state.js';
import * as why from './reasons.js';
import type { OrderPlan } from './reconcile.js';

/** An order whose downloads are done: its files checked under temporary names, not yet published. */
export interface StagedOrder {
  order: OrderPlan;
  /** Slot i is download i's file and row, empty if that download failed. */
  staged: readonly ({ file: StagedFile; row: store.AssetWrite } | undefined)[];
  failed: number;
  /** A stop was asked for before all its downloads started. */
  stopped: boolean;
}

interface Waiting {
  staged: StagedOrder;
  done: (ok: boolean) => void;
  fail: (error: unknown) => void;
}

/** An order after its files were published: the rows of those that landed, and how many file operations failed. */
interface Published {
  waiting: Waiting;
  landed: store.AssetWrite[];
  failed: number;
}

/**
 * Records finished orders in groups: while one group's files are renamed and its rows written, the orders that
 * finish meanwhile wait with their files under temporary names, and then go together — one statement and one
 * commit for the group instead of one per order. A group starts as soon as the one before it ends, so an order
 * that finishes alone is recorded at once; the apply's bound on orders being recorded bounds a group.
 */
export class OrderRecorder {
  readonly #ctx: Ctx;
  readonly #state: MirrorPlanState;
  /** Orders waiting for the group being written to end; taken, in order, by the next group. */
  #waiting: Waiting[] = [];
  /** True while a group is being written: a new order then waits for the next group. */
  #writing = false;

  constructor(ctx: Ctx, state: MirrorPlanState) {
    this.#ctx = ctx;
    this.#state = state;
  }

  /** Publishes the order's files and writes their rows with the order's read; true when all went well. */
  record(staged: StagedOrder): Promise<boolean> {
    return new Promise((done, fail) => {
      this.#waiting.push({ staged, done, fail });
      if (!this.#writing) void this.#writeGroups();
    });
  }

  async #writeGroups(): Promise<void> {
    this.#writing = true;
    while (this.#waiting.length > 0) {
      const group = this.#takeGroup();
      try {
        await this.#writeGroup(group);
      } catch (error) {
        for (const w of group) w.fail(error);
      }
    }
    this.#writing = false;
  }

  /** The waiting orders up to the first whose files share an asset id with an earlier one (one upsert per row). */
  #takeGroup(): Waiting[] {
    const ids = new Set<string>();
    let n = 0;
    for (const w of this.#waiting) {
      const own = w.staged.staged.flatMap((s) => (s ? [s.row.asset_id] : []));
      if (n > 0 && own.some((id) => ids.has(id))) break;
      for (const id of own) ids.add(id);
      n++;
    }
    return this.#waiting.splice(0, n);
  }

  async #writeGroup(group: readonly Waiting[]): Promise<void> {
    const { db, pipeline } = this.#ctx;
    // Renamed into place only now, right before their rows are written: a kill while an order's files were still
    // downloading (or waiting for this group) leaves temporaries (removed next run), never a file without its row.
    const published = await Promise.all(group.map((w) => this.#publish(w)));
    // An order read in full, every file landed, and no request to settle: its read joins the group's statement.
    const plain = published.filter((p) => !p.waiting.staged.stopped && p.failed === 0 && !this.#state.requestIds.has(p.waiting.staged.order.orderId));
    await store.recordOrderReads(
      db,
      pipeline,
      plain.map((p) => readOf(p.waiting.staged.order, { filesRemoved: p.waiting.staged.order.filesRemoved })),
      plain.flatMap((p) => p.landed),
    );
    for (const p of published) {
      if (!plain.includes(p)) await this.#writeAlone(p);
      p.waiting.done(await this.#finish(p));
    }
  }

  async #publish(waiting: Waiting): Promise<Published> {
    const { order, staged } = waiting.staged;
    let failed = waiting.staged.failed;
    const rows = await Promise.all(
      staged.map(async (s) => {
        if (!s) return undefined;
        try {
          await s.file.publish();
          return s.row;
        } catch (err) {
          await s.file.discard();
          failed++;
          this.#ctx.count('failed');
          this.#ctx.log.error({ orderId: order.orderId, assetId: s.row.asset_id, err }, 'could not store ambita asset');
          return undefined;
        }
      }),
    );
    return { waiting, landed: rows.filter((row) => row !== undefined), failed };
  }

  /** The rows of an order that is not plain: stopped part-way, a file that failed, or a request to settle. */
  async #writeAlone({ waiting, landed, failed }: Published): Promise<void> {
    const { db, pipeline } = this.#ctx;
    const { order, stopped } = waiting.staged;
    if (stopped) {
      // Stopped part-way: the files that landed get their rows; the order is read again next run.
      await store.writeStoredAssets(db, pipeline, landed);
    } else if (failed > 0) {
      await store.recordOrderReads(db, pipeline, [readOf(order, { filesRemoved: false, error: `${failed} file operation(s) failed; retried next run` })], landed);
    } else {
      // Its request to settle, in one transaction: a cancelled order is read for the last time when files_removed_at
      // is set, so a kill between the two writes would leave its request 'ordered' for ever.
      const requestId = this.#state.requestIds.get(order.orderId)!;
      await db.transaction().execute(async (trx) => {
        await store.recordOrderReads(trx, pipeline, [readOf(order, { filesRemoved: order.filesRemoved })], landed);
        await settleRequest(trx, requestId, order);
      });
    }
  }

  /** After an order's rows are written: counts, cleared download failures; true when all went well. */
  async #finish({ waiting, landed, failed }: Published): Promise<boolean> {
    const { order, stopped } = waiting.staged;
    const reasons = new Map(order.downloads.map((d) => [d.asset.assetId, d.reason]));
    for (const row of landed) this.#ctx.count(reasons.get(row.asset_id) === 'new' ? 'created' : 'updated');
    const cleared = landed.filter((r) => this.#state.failedBefore.has(r.asset_id)).map((r) => r.asset_id);
    if (cleared.length) await clearDownloadFailures(this.#ctx.db, this.#ctx.pipeline, cleared);
    if (!stopped && order.unknownStatus.length) this.#ctx.log.warn({ orderId: order.orderId, assets: order.unknownStatus }, 'assets in an unknown state left alone');
    return !stopped && failed === 0;
  }
}

function readOf(order: OrderPlan, o: { filesRemoved: boolean; error?: string }): store.OrderRead {
  return { orderId: order.orderId, ...order.order, ...o };
}

/** The order request behind an order is completed once the order is finished and mirrored (files may still follow). */
async function settleRequest(db: Kysely<DB>, requestId: number, order: OrderPlan): Promise<void> {
  if (order.order.status === 'FINISHED') await markCompleted(db, requestId, 'finished and mirrored');
  else if (order.filesRemoved) {
    const state = order.order.status === 'REFUNDED' ? 'refunded' : 'cancelled';
    await markVendorEnded(db, requestId, state, why.vendorEnded(order.orderId, state, order.order.dateStatus));
  }
}
