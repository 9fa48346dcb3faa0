import type { Logger } from 'pino';
import type { KoppelConfig } from '../config/schema.js';
import { ConfigError } from './errors.js';
import type { KoppelEvents } from './events.js';
import { UpstreamGateway } from './upstream-gateway.js';
import type { UpstreamType } from './upstream-type.js';
import type { RetryPolicy } from './retry.js';
import type { RateLimit } from './upstream-gateway.js';

interface Closable {
  close?(): Promise<void>;
}

/**
 * The clients of a process, one per upstream, shared by every pipeline in it. Each is built on first use from
 * its config block and its gateway (queue + retry), by the upstream type the edge handed in.
 */
export class UpstreamClients {
  readonly #types: ReadonlyMap<string, UpstreamType>;
  readonly #config: KoppelConfig['upstreams'];
  readonly #events: KoppelEvents;
  readonly #log: Logger;
  /** Clients built so far, by upstream name; each is built once per process. */
  readonly #clients = new Map<string, unknown>();
  readonly #gateways = new Map<string, UpstreamGateway>();
  /** Secrets a read-only command's config left out (`upstreams.<name>.<key> (why)`): no client is built without them. */
  readonly #missingSecrets: readonly string[];

  constructor(types: readonly UpstreamType[], config: KoppelConfig['upstreams'], events: KoppelEvents, log: Logger, missingSecrets: readonly string[] = []) {
    this.#types = new Map(types.map((t) => [t.name, t]));
    this.#config = config;
    this.#events = events;
    this.#log = log;
    this.#missingSecrets = missingSecrets;
  }

  /** The client of upstream `name`, built now if it is the first use. */
  get(name: string): unknown {
    const existing = this.#clients.get(name);
    if (existing) return existing;
    const type = this.#types.get(name);
    if (!type) throw new ConfigError(`upstreams.${name}: not an upstream type this program knows`);
    const cfg = this.#config[name];
    if (!cfg) throw new ConfigError(`upstreams.${name}: expected a block for this upstream, got nothing`);
    const missing = this.#missingSecrets.filter((m) => m.startsWith(`upstreams.${name}.`));
    if (missing.length) throw new ConfigError(`${missing.join('; ')}: this command was started without the upstream's secrets`);
    const log = this.#log.child({ upstream: name });
    // The block passed its type's schema at load: it has the call options every block shares.
    const { rate, retry } = cfg as unknown as { rate: RateLimit; retry: RetryPolicy };
    const gateway = new UpstreamGateway(name, rate, retry, this.#events, log);
    const client = type.create(cfg, gateway, log);
    this.#gateways.set(name, gateway);
    this.#clients.set(name, client);
    return client;
  }

  /**
   * The clients of `names` as one object, each built on first access: what a pipeline's context holds, so a
   * pipeline reaches only the upstreams its definition declares.
   */
  view(names: readonly string[]): Record<string, unknown> {
    const view = {};
    for (const name of names) Object.defineProperty(view, name, { enumerable: true, get: () => this.get(name) });
    return Object.freeze(view);
  }

  /** Calls queued or in flight per upstream (for /metrics). */
  depths(): Record<string, number> {
    return Object.fromEntries([...this.#gateways].map(([name, g]) => [name, g.depth]));
  }

  /** Waits for calls in flight, then closes sessions (sign out, channels). */
  async close(): Promise<void> {
    await Promise.all([...this.#gateways.values()].map((g) => g.drain()));
    for (const client of this.#clients.values()) await (client as Closable).close?.();
    this.#clients.clear();
  }
}
