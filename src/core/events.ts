import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { ItemStatus, RunCounts, RunOutcome } from './run-outcome.js';

/**
 * Lifecycle events. Metrics, progress bars and audit logging subscribe here instead of being called
 * from pipelines; a listener that throws is logged and never breaks a run.
 */
export interface KoppelEventMap {
  'run:start': { pipeline: string; type: string; runId: number | null; dryRun: boolean };
  'run:end': { pipeline: string; type: string; runId: number | null; outcome: RunOutcome; counts: RunCounts; durationMs: number };
  'item:outcome': { pipeline: string; status: ItemStatus; n: number };
  'progress': { pipeline: string; phase: string; done: number; total: number };
  'upstream:request': { upstream: string; op: string; durationMs: number; ok: boolean; errorKind?: string | undefined };
  'upstream:backoff': { upstream: string; op: string; attempt: number; delayMs: number; reason: string };
  'upstream:queue': { upstream: string; size: number; pending: number };
}

export type KoppelEventName = keyof KoppelEventMap;

export class KoppelEvents {
  readonly #emitter = new EventEmitter();
  readonly #log: Logger | undefined;

  constructor(log?: Logger) {
    this.#log = log;
    this.#emitter.setMaxListeners(100);
  }

  on<E extends KoppelEventName>(event: E, listener: (payload: KoppelEventMap[E]) => void): () => void {
    this.#emitter.on(event, listener);
    return () => this.#emitter.off(event, listener);
  }

  /** Emits without ever throwing into the caller (graphile-worker's safeEmit). */
  emit<E extends KoppelEventName>(event: E, payload: KoppelEventMap[E]): void {
    try {
      this.#emitter.emit(event, payload);
    } catch (err) {
      this.#log?.error({ err, event }, 'event listener failed');
    }
  }
}
