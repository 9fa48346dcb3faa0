/**
 * Push messages as Ambita sends them: one POST of `{orderCollectionId, reference, status, technicalReference}`
 * to the registered callback URL, no signature, no retry (assumed: none is documented). Pushes can be lost on
 * purpose, so tests prove that the scheduled reconcile catches what a lost push missed.
 */
import type { FaultInjector } from '../kit.js';
import type { PushStatus, SandboxOrder } from './state.js';

export interface PushRecord {
  body: Record<string, unknown>;
  at: number;
  /** Deliberately not sent (injected loss) or no callback URL configured. */
  lost: boolean;
  /** HTTP status the callback answered; undefined when not sent or the connection failed. */
  status?: number | undefined;
  error?: string | undefined;
}

export class SandboxPusher {
  readonly records: PushRecord[] = [];
  readonly #faults: FaultInjector;
  readonly #idField: string;
  readonly #lossRate: number;
  #callbackUrl: string | undefined;
  #loseNext = 0;
  /** Pushes on their way, so close() does not cut them off. */
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(faults: FaultInjector, idField: string, lossRate: number, callbackUrl: string | undefined) {
    this.#faults = faults;
    this.#idField = idField;
    this.#lossRate = lossRate;
    this.#callbackUrl = callbackUrl;
  }

  setCallbackUrl(url: string | undefined): void {
    this.#callbackUrl = url;
  }

  loseNext(n: number): void {
    this.#loseNext = n;
  }

  send(order: SandboxOrder, status: PushStatus): Promise<PushRecord> {
    return this.sendRaw({
      [this.#idField]: order.id,
      reference: order.reference,
      status,
      technicalReference: order.technicalReference,
    });
  }

  sendRaw(body: unknown): Promise<PushRecord> {
    const record: PushRecord = { body: body as Record<string, unknown>, at: Date.now(), lost: false };
    this.records.push(record);
    let lose = this.#callbackUrl === undefined;
    if (this.#loseNext > 0) {
      this.#loseNext--;
      lose = true;
    } else if (this.#lossRate > 0 && this.#faults.random() < this.#lossRate) {
      lose = true;
    }
    if (lose) {
      record.lost = true;
      return Promise.resolve(record);
    }
    const sending = fetch(this.#callbackUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    })
      .then(async (res) => {
        record.status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      })
      .catch((err: Error) => {
        record.error = err.message;
      })
      .then(() => record);
    this.#inFlight.add(sending);
    void sending.finally(() => this.#inFlight.delete(sending));
    return sending;
  }

  async drain(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }
}
