import type { ContextOf } from '../define-pipeline.js';
import type { CatalogPlan } from './catalog.js';
import type { AmbitaMirrorConfig } from './config.js';
import type { StoredAssetRow } from './mirror-store.js';

/** What `ambita-mirror`'s plan hands its apply (and fills in as apply reads each order). */
export interface MirrorPlanState {
  sweepStartedAt: number | null;
  catalog: CatalogPlan | null;
  /**
   * The orders this run reads. A dry run reads them in plan; a run reads each while applying, so order reads,
   * downloads and row writes overlap (the plan's order counts and actions are filled in as each is read).
   */
  orderIds: number[];
  /** Known assets of those orders, by order (read once, before any order). */
  stored: Map<number, Map<string, StoredAssetRow>>;
  /** The order request behind each order koppel placed (set once, when the order is first followed). */
  requestIds: Map<number, number>;
  readFailures: { orderId: number; error: string }[];
  /** Pushes this run answers, by order: marked handled once that order is reconciled. */
  pushes: Map<number, number[]>;
  /** Assets with a recorded download failure: a download that lands clears it. */
  failedBefore: Set<string>;
  /** Assets refused for their size: not fetched again until max_download_bytes is raised (status lists them). */
  refused: Set<string>;
}

export type MirrorContext = ContextOf<AmbitaMirrorConfig, 'ambita'>;
