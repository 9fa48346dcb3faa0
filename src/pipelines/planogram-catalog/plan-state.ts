/**
 * What `plan` hands to `apply`. No item is held: per reference a ~45-byte index entry off the heap (see
 * reference-index.ts), per changed image its file facts, per deletion a reference. Apply reads the catalogs
 * again for the items themselves.
 */
import type { ItemState } from '../../core/item-state.js';
import type { PlannedAction } from '../../core/types.js';
import type { ItemKind } from '../../upstreams/planogrambuilder/wire.js';
import type { CatalogSource } from './catalog-rows.js';
import type { KeyedSnapshot } from './file-snapshot.js';
import type { LocalImage } from './images.js';
import type { ReferenceIndex } from './reference-index.js';

/** One catalog's part of the plan. */
export interface KindPlan {
  src: CatalogSource;
  index: ReferenceIndex;
  /** Rows to create or update, and rows to checkpoint without a call. */
  writes: number;
  settles: number;
  /** References of remote items to delete (empty when pruning is off or refused). */
  deletes: string[];
  /** The snapshot to store once apply has done every step (for a file that was read). */
  snapshot: KeyedSnapshot | undefined;
  /** The file was not read: its snapshot said every row is unchanged (the index knows no catalog rows). */
  fromSnapshot: boolean;
}

export interface CatalogPlanState {
  /** Ends the API session taken for this run (SignOut when no other run holds it). */
  release: () => Promise<void>;
  kinds: KindPlan[];
  /** Images to upload, keyed by lower-cased name. */
  uploads: Map<string, LocalImage>;
  /**
   * Images a stopped run already uploaded (koppel's state holds their name and hash, marked `unsettled`) whose
   * users may not be regenerated yet: not sent again, but treated like an upload for Refresh. Keyed by lower-cased name.
   */
  uploadedBefore: Map<string, LocalImage>;
  /** Kinds with unchanged items naming an image to upload (or uploaded before): they need Refresh. */
  refreshKinds: Set<ItemKind>;
  /** Image checkpoints to record without any call (found unchanged, but re-hashed or never recorded). */
  settledImages: ItemState[];
  /** Set when pruning was refused (too large a share without --force): the run fails after the rest is done. */
  pruneRefused: string | undefined;
}

/**
 * The actions `--dry-run` prints: the first `perAction` of each kind of action, in plan order, and a count of
 * the rest. The summary carries the full counts.
 */
export class ActionSample {
  readonly actions: PlannedAction[] = [];
  readonly #perAction: number;
  readonly #counts = new Map<string, number>();
  #omitted = 0;

  constructor(perAction: number) {
    this.#perAction = perAction;
  }

  get omitted(): number {
    return this.#omitted;
  }

  /** Keeps the action if its kind still has room; returns it when kept (so its detail can be completed). */
  add(action: PlannedAction): PlannedAction | undefined {
    const n = this.#counts.get(action.action) ?? 0;
    this.#counts.set(action.action, n + 1);
    if (n >= this.#perAction) {
      this.#omitted++;
      return undefined;
    }
    this.actions.push(action);
    return action;
  }
}
