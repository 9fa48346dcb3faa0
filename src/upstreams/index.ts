import type { Logger } from 'pino';
import type { KoppelEvents } from '../core/events.js';
import { ConfigError } from '../core/errors.js';
import { UpstreamGateway } from '../core/upstream-gateway.js';
import type { UpstreamsConfig } from './config.js';
import { MaasplassenClient } from './maasplassen/client.js';
import { PlanviewerClient } from './planviewer/client.js';
import { AmbitaClient } from './ambita/client.js';
import { PlanogramBuilderClient } from './planogrambuilder/client.js';

/** The rate-limited clients a pipeline can use, one per upstream, shared by every pipeline in the process. */
export interface Upstreams {
  readonly maasplassen: MaasplassenClient;
  readonly planviewer: PlanviewerClient;
  readonly planogrambuilder: PlanogramBuilderClient;
  readonly ambita: AmbitaClient;
}

export type UpstreamName = keyof Upstreams;

interface Closable {
  close?(): Promise<void>;
}

/**
 * Builds each client on first use from its config block and its gateway (queue + retry). The one place
 * that knows every upstream: adding a service is one getter here and one key in `config.ts`.
 */
export class UpstreamRegistry implements Upstreams {
  readonly #config: UpstreamsConfig;
  readonly #events: KoppelEvents;
  readonly #log: Logger;
  /** Clients built so far, by upstream name; each is built once per process. */
  readonly #clients = new Map<UpstreamName, unknown>();
  readonly #gateways = new Map<UpstreamName, UpstreamGateway>();
  /** Secrets a read-only command's config left out (`upstreams.<name>.<key> (why)`): no client is built without them. */
  readonly #missingSecrets: readonly string[];

  constructor(config: UpstreamsConfig, events: KoppelEvents, log: Logger, missingSecrets: readonly string[] = []) {
    this.#config = config;
    this.#events = events;
    this.#log = log;
    this.#missingSecrets = missingSecrets;
  }

  get maasplassen(): MaasplassenClient {
    return this.#client('maasplassen', (cfg, gateway, log) => new MaasplassenClient(cfg, gateway, log));
  }

  get planviewer(): PlanviewerClient {
    return this.#client('planviewer', (cfg, gateway, log) => new PlanviewerClient(cfg, gateway, log));
  }

  get planogrambuilder(): PlanogramBuilderClient {
    return this.#client('planogrambuilder', (cfg, gateway, log) => new PlanogramBuilderClient(cfg, gateway, log));
  }

  get ambita(): AmbitaClient {
    return this.#client('ambita', (cfg, gateway, log) => new AmbitaClient(cfg, gateway, log));
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

  #client<N extends UpstreamName>(
    name: N,
    build: (cfg: NonNullable<UpstreamsConfig[N]>, gateway: UpstreamGateway, log: Logger) => Upstreams[N],
  ): Upstreams[N] {
    const existing = this.#clients.get(name);
    if (existing) return existing as Upstreams[N];
    const cfg = this.#config[name];
    if (!cfg) throw new ConfigError(`upstreams.${name}: expected a block for this upstream, got nothing`);
    const missing = this.#missingSecrets.filter((m) => m.startsWith(`upstreams.${name}.`));
    if (missing.length) throw new ConfigError(`${missing.join('; ')}: this command was started without the upstream's secrets`);
    const log = this.#log.child({ upstream: name });
    const gateway = new UpstreamGateway(name, cfg.rate, cfg.retry, this.#events, log);
    const client = build(cfg as NonNullable<UpstreamsConfig[N]>, gateway, log);
    this.#gateways.set(name, gateway);
    this.#clients.set(name, client);
    return client;
  }
}
