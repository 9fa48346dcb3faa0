/** What `plan` hands to `apply`: every call the run will make, decided up front. */
import type { ItemState, ItemStateStore } from '../../core/item-state.js';
import type { AnyItem, ItemKind } from '../../upstreams/planogrambuilder/wire.js';
import type { LocalImage } from './images.js';

export interface WriteAction {
  kind: ItemKind;
  verb: 'create' | 'update';
  key: string;
  item: AnyItem;
  hash: string;
  /** Where the row came from, for rejections the service answers. */
  source: string;
  line: number;
}

export interface ItemRef {
  kind: ItemKind;
  reference: string;
  key: string;
}

export interface UploadAction {
  image: LocalImage;
  /** Keys of every synced item naming this image: each must be written or refreshed after the upload. */
  users: string[];
}

export interface CatalogPlanState {
  /** Ends the API session taken for this run (SignOut when no other run holds it). */
  release: () => Promise<void>;
  uploads: UploadAction[];
  writes: WriteAction[];
  /** Unchanged items naming an uploaded image: their thumbnail and 3D model would stay stale without Refresh. */
  refreshes: ItemRef[];
  deletes: ItemRef[];
  /** Set when pruning was refused (too large a share without --force): the run fails after the rest is done. */
  pruneRefused: string | undefined;
  /** Checkpoints to record without any call (remote already equal, or an image found unchanged). */
  settled: ItemState[];
}

/** Buffers item-state writes and stores them in batches, one batch at a time. */
export class StateBuffer {
  readonly #store: ItemStateStore;
  readonly #pending: ItemState[] = [];
  /** The write in progress; batches are chained so two never race on the same keys. */
  #writing: Promise<void> = Promise.resolve();

  constructor(store: ItemStateStore) {
    this.#store = store;
  }

  add(state: ItemState): Promise<void> {
    this.#pending.push(state);
    return this.#pending.length >= 500 ? this.flush() : Promise.resolve();
  }

  flush(): Promise<void> {
    const batch = this.#pending.splice(0, this.#pending.length);
    this.#writing = this.#writing.then(() => (batch.length ? this.#store.putMany(batch) : undefined));
    return this.#writing;
  }
}
