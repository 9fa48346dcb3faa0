/**
 * What every HTTP sandbox shares: a listening server on a real socket, fault injection, JSON replies and a
 * request log. Each `sandbox/<name>/server.ts` implements its vendor's behaviour on top of this.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** Fault injection, the same knobs for every HTTP sandbox. All off by default. */
export const sandboxFaultsSchema = z.object({
  /** Share of requests answered with a transient 500/502 (0..1). */
  errorRate: z.number().min(0).max(1).default(0),
  /** Extra latency per request in ms; `latencySpikeRate` of requests get `latencySpikeMs` instead. */
  latencyMs: z.number().int().min(0).default(0),
  latencySpikeRate: z.number().min(0).max(1).default(0),
  latencySpikeMs: z.number().int().min(0).default(0),
  /** Share of requests answered 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitRate: z.number().min(0).max(1).default(0),
  retryAfterSeconds: z.number().min(0).default(1),
  /** Deterministic randomness for tests (mulberry32 seed); absent = Math.random. */
  seed: z.number().int().optional(),
});

export type SandboxFaults = z.output<typeof sandboxFaultsSchema>;
export type SandboxFaultsInput = z.input<typeof sandboxFaultsSchema>;

/** One request the sandbox received, for inspection by tests. */
export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  at: number;
  status?: number;
}

export interface SandboxHandle {
  /** Base URL clients should use (e.g. `http://127.0.0.1:41234/api/v2`). */
  readonly url: string;
  /** Demo credentials and ids, printed by `koppel sandbox`. */
  readonly credentials: Record<string, string | number>;
  close(): Promise<void>;
}

/** Small seeded PRNG so that fault sequences are reproducible in tests. */
export function createRandom(seed?: number): () => number {
  if (seed === undefined) return Math.random;
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mutable at run time (`handle.faults.errorRate = 0.1`), so one sandbox can be degraded mid-test. */
export class FaultInjector {
  faults: SandboxFaults;
  /** Replaced when `set` is given a seed, so a test can pin the fault sequence mid-run. */
  #random: () => number;

  constructor(input: SandboxFaultsInput = {}) {
    this.faults = sandboxFaultsSchema.parse(input);
    this.#random = createRandom(this.faults.seed);
  }

  set(input: SandboxFaultsInput): void {
    this.faults = sandboxFaultsSchema.parse({ ...this.faults, ...input });
    if (input.seed !== undefined) this.#random = createRandom(input.seed);
  }

  random(): number {
    return this.#random();
  }

  /** Delay to apply before answering. */
  latency(): number {
    const f = this.faults;
    return f.latencySpikeRate > 0 && this.#random() < f.latencySpikeRate ? f.latencySpikeMs : f.latencyMs;
  }

  /** A fault to answer with instead of the real response, or undefined. */
  pick(): { status: number; headers?: Record<string, string> } | undefined {
    const f = this.faults;
    if (f.rateLimitRate > 0 && this.#random() < f.rateLimitRate) {
      return { status: 429, headers: { 'retry-after': String(f.retryAfterSeconds) } };
    }
    if (f.errorRate > 0 && this.#random() < f.errorRate) return { status: this.#random() < 0.5 ? 500 : 502 };
    return undefined;
  }
}

/**
 * A misbehaving file server, for download bounds (no vendor documents it; the vendors send Content-Length):
 * - `declared`: a Content-Length of `bytes`, and that many bytes streamed;
 * - `lying`: the real Content-Length, then the file and `bytes` more in one write (node's server does not stop
 *   at the length);
 * - `unannounced`: no Content-Length (chunked), `bytes` streamed.
 */
export type OversizeMode = 'declared' | 'lying' | 'unannounced';
export interface OversizeFault {
  mode: OversizeMode;
  bytes: number;
}

/** Answers a file download with `fault` instead of `content`; `headers` are the file's usual headers. */
export function sendOversized(res: ServerResponse, fault: OversizeFault, headers: Record<string, string | number>, content: Buffer): void {
  const { 'content-length': _length, ...rest } = headers;
  if (fault.mode === 'lying') {
    res.writeHead(200, { ...rest, 'content-length': content.length });
    res.end(Buffer.concat([content, Buffer.alloc(fault.bytes, 0x5a)]));
    return;
  }
  res.writeHead(200, fault.mode === 'declared' ? { ...rest, 'content-length': fault.bytes } : rest);
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  let sent = 0;
  // Paced by the socket: a client that stops reading (or hangs up) stops the stream.
  const pump = (): void => {
    while (sent < fault.bytes && !res.destroyed) {
      const n = Math.min(chunk.length, fault.bytes - sent);
      sent += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Reads a request body, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = 50 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `entry` is this request's log entry, so a sandbox can add what it learns (e.g. a batch size) to it. */
export type SandboxHandler = (req: IncomingMessage, res: ServerResponse, url: URL, entry: ReceivedRequest) => Promise<void> | void;

/**
 * Starts an HTTP server on 127.0.0.1 (port 0 = any free port) that applies latency and faults before `handler`,
 * and logs every request. Handler exceptions become 500s, as a real server's would.
 */
export async function startHttpSandbox(options: {
  port?: number;
  host?: string;
  faults: FaultInjector;
  log: ReceivedRequest[];
  handler: SandboxHandler;
  /** Shapes the transient-fault body in the vendor's error envelope. */
  faultBody?: (status: number) => unknown;
}): Promise<{ server: Server; origin: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const entry: ReceivedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      at: Date.now(),
    };
    options.log.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    void (async () => {
      const delay = options.faults.latency();
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const fault = options.faults.pick();
      if (fault) {
        sendJson(res, fault.status, options.faultBody?.(fault.status) ?? { error: 'injected fault' }, fault.headers);
        return;
      }
      await options.handler(req, res, url, entry);
    })().catch((err: Error & { status?: number }) => {
      if (!res.headersSent) sendJson(res, err.status ?? 500, options.faultBody?.(err.status ?? 500) ?? { error: err.message });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
