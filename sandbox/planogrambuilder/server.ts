/**
 * A local PlanogramBuilder: a gRPC server with all 24 methods of the guide over the same `.proto` koppel uses,
 * fault injection (error rate, latency, 429-style RESOURCE_EXHAUSTED, lost responses, token revocation) and an
 * inspection surface for tests (items, files, stale items, calls per method).
 */
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { FaultInjector, type SandboxFaultsInput, type SandboxHandle } from '../kit.js';
import { MAX_MESSAGE_BYTES, loadPlanoService } from '../../src/upstreams/planogrambuilder/proto.js';
import { DEMO_ACCOUNT, PlanoSandboxState, type SandboxAccount } from './state.js';
import { type ItemByKind, type ItemKind, METHOD_NAMES, type MethodName, MUTATING_METHODS } from '../../src/upstreams/planogrambuilder/wire.js';

export interface PlanogramBuilderSandboxOptions {
  port?: number;
  host?: string;
  faults?: SandboxFaultsInput;
  /** Accounts and users; default one demo account with an administrator `admin` and a non-administrator `viewer`. */
  accounts?: SandboxAccount[];
  /** Token lifetime in ms (60 minutes at the real service). @default 3600000 */
  tokenTtlMs?: number;
  /** Share of calls whose effect happens but whose answer is lost (UNAVAILABLE), like a connection dropped mid-call. */
  lostResponseRate?: number;
}

export interface PlanogramBuilderSandbox extends SandboxHandle {
  readonly faults: FaultInjector;
  /** `host:port` for `upstreams.planogrambuilder.endpoint` (plaintext: `tls: false`). */
  readonly endpoint: string;
  /** Items of a kind in the demo account, in list order. */
  items<K extends ItemKind>(kind: K, account?: string): ItemByKind[K][];
  files(account?: string): { name: string; size: number; sha256: string }[];
  fileData(name: string, account?: string): Buffer | undefined;
  /** Items whose thumbnail and 3D model predate an upload of one of their images (need Refresh). */
  staleItems(account?: string): { kind: ItemKind; reference: string }[];
  /** Calls received per method (faulted ones included) since start or the last `resetCalls`. */
  calls(): Record<MethodName, number>;
  /** Calls received to methods that change state. */
  mutatingCalls(): number;
  resetCalls(): void;
  /** Revokes every token now, or after `afterCalls` more authenticated calls. */
  revokeTokens(afterCalls?: number): void;
  /** Changes the token lifetime (tests shorten it to prove renewal). */
  setTokenTtl(ms: number): void;
  setLostResponseRate(rate: number): void;
  /** Calls `listener` with each method as a call arrives (tests use it to kill a client mid-run). Returns an unsubscribe. */
  onCall(listener: (method: MethodName) => void): () => void;
  readonly state: PlanoSandboxState;
}

export async function startPlanogramBuilderSandbox(options: PlanogramBuilderSandboxOptions = {}): Promise<PlanogramBuilderSandbox> {
  const accounts = options.accounts ?? [DEMO_ACCOUNT];
  const mainAccount = accounts[0]!.account_id;
  const state = new PlanoSandboxState({ accounts, tokenTtlMs: options.tokenTtlMs });
  const faults = new FaultInjector(options.faults);
  const calls = Object.fromEntries(METHOD_NAMES.map((m) => [m, 0])) as Record<MethodName, number>;
  let lostResponseRate = options.lostResponseRate ?? 0;
  /** Authenticated calls left before every token is revoked; undefined = no revocation planned. */
  let revokeIn: number | undefined;
  const listeners = new Set<(method: MethodName) => void>();

  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const service = loadPlanoService({ package: 'planoapiv1', service: 'PlanoAPI' });
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of METHOD_NAMES) {
    handlers[method] = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      calls[method]++;
      for (const listener of listeners) listener(method);
      void answer(method, call.request).then(
        (reply) => callback(null, reply),
        (err: Partial<grpc.StatusObject>) => callback(err, null),
      );
    };
  }
  server.addService(service, handlers);

  async function answer(method: MethodName, request: Record<string, unknown>): Promise<unknown> {
    const delay = faults.latency();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const fault = faults.pick();
    if (fault?.status === 429) {
      const metadata = new grpc.Metadata();
      metadata.set('retry-after', fault.headers?.['retry-after'] ?? '1');
      throw { code: grpc.status.RESOURCE_EXHAUSTED, details: `${method}: too many requests`, metadata };
    }
    if (fault) throw { code: grpc.status.UNAVAILABLE, details: `${method}: injected transient failure` };
    if (method !== 'SignIn' && revokeIn !== undefined && --revokeIn <= 0) {
      revokeIn = undefined;
      state.revokeTokens();
    }
    const reply = state.handle(method, request);
    if (lostResponseRate > 0 && faults.random() < lostResponseRate) {
      throw { code: grpc.status.UNAVAILABLE, details: `${method}: connection lost after the call took effect` };
    }
    return reply;
  }

  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const endpoint = `${host}:${port}`;
  const admin = accounts[0]!.users.find((u) => u.administrator) ?? accounts[0]!.users[0]!;
  const db = (account?: string) => state.database(account ?? mainAccount);

  return {
    url: endpoint,
    endpoint,
    credentials: { endpoint, tls: 'false', account_id: mainAccount, username: admin.username, password: admin.password },
    faults,
    state,
    items<K extends ItemKind>(kind: K, account?: string) {
      return [...db(account).items[kind].values()].map((s) => structuredClone(s.item) as ItemByKind[K]);
    },
    files(account) {
      return [...db(account).files.values()].map((f) => ({ name: f.name, size: f.data.length, sha256: createHash('sha256').update(f.data).digest('hex') }));
    },
    fileData(name, account) {
      return db(account).files.get(name.toLowerCase())?.data;
    },
    staleItems(account) {
      const d = db(account);
      return (Object.keys(d.items) as ItemKind[]).flatMap((kind) =>
        [...d.items[kind].values()].filter((s) => d.isStale(s)).map((s) => ({ kind, reference: s.item.reference })),
      );
    },
    calls: () => ({ ...calls }),
    mutatingCalls: () => MUTATING_METHODS.reduce((sum, m) => sum + calls[m], 0),
    resetCalls() {
      for (const m of METHOD_NAMES) calls[m] = 0;
    },
    revokeTokens(afterCalls) {
      if (afterCalls === undefined || afterCalls <= 0) state.revokeTokens();
      else revokeIn = afterCalls;
    },
    setTokenTtl(ms) {
      state.tokenTtlMs = ms;
    },
    setLostResponseRate(rate) {
      lostResponseRate = rate;
    },
    onCall(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Calls still open (a client that never hangs up) must not keep a test waiting.
        setTimeout(() => server.forceShutdown(), 2_000).unref();
      }),
  };
}
