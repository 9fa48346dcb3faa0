import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTooLargeError } from '../../src/core/download-limit.js';
import { PermanentError, RetryableError } from '../../src/core/errors.js';
import { writeFileAtomic } from '../../src/core/file-store.js';
import { openDownload } from '../../src/core/http-download.js';
import { httpStatusError, readErrorText } from '../../src/core/http-request.js';

/** One local server per test; `handle` decides each answer, `seen` records what reached it. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; seen: IncomingMessage[]; server: Server }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    handle(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const request = (url: string, extra: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
  openDownload({ upstream: 'test', op: 'download', url: `${url}/file`, headers: { authorization: 'Bearer t0ken' }, timeoutMs: 5000, ...extra });

/** Sends the head and a first chunk of a longer body, then nothing more. */
const stallMidBody = (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-length': '1000' });
  res.write('x'.repeat(100));
};

describe('openDownload', () => {
  let servers: Server[];
  let dir: string;
  beforeEach(async () => {
    servers = [];
    dir = await mkdtemp(join(tmpdir(), 'koppel-download-'));
  });
  afterEach(async () => {
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
    await rm(dir, { recursive: true, force: true });
  });
  const start = async (handle: (req: IncomingMessage, res: ServerResponse) => void) => {
    const s = await serve(handle);
    servers.push(s.server);
    return s;
  };

  it('streams the body with its status and headers, sending the request headers', async () => {
    const { url, seen } = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': '5', 'x-two': ['a', 'b'] });
      res.end('%PDF!');
    });
    const res = await request(url);
    expect([res.status, res.ok, res.headers.get('content-type'), res.headers.get('x-two')]).toEqual([200, true, 'application/pdf', 'a, b']);
    const stored = await writeFileAtomic(res.body!, join(dir, 'a.pdf'), { expectedSize: 5 });
    expect(await readFile(stored.path, 'utf8')).toBe('%PDF!');
    expect(seen[0]?.headers.authorization).toBe('Bearer t0ken');
  });

  it('hands a failure status to the shared error readers', async () => {
    const { url } = await start((_req, res) => {
      res.writeHead(503, { 'retry-after': '7', 'content-type': 'application/json' });
      res.end('{"error":"maintenance"}');
    });
    const res = await request(url);
    expect(res.ok).toBe(false);
    expect(await readErrorText(res.body)).toBe('{"error":"maintenance"}');
    expect(httpStatusError(res.status, res.headers, 'down', { upstream: 'test', op: 'download' })).toMatchObject({ name: 'BackOffError', waitMs: 7000 });
  });

  it('reads at most the limit of a huge failure body, and what arrived of one that breaks off', async () => {
    const { url } = await start((req, res) => {
      if (req.headers.range === 'broken') {
        res.writeHead(500, { 'content-length': '1000' });
        res.write('{"error":', () => setImmediate(() => res.destroy()));
        return;
      }
      res.writeHead(502);
      res.end('x'.repeat(1_000_000));
    });
    const huge = await request(url);
    expect(await readErrorText(huge.body, 10)).toBe('xxxxxxxxxx…');
    await new Promise((closed) => huge.body!.once('close', closed)); // the reader ended the body: it neither hangs paused nor reads the rest
    expect(huge.body!.readableEnded).toBe(false);
    const broken = await openDownload({ upstream: 'test', op: 'download', url: `${url}/file`, headers: { range: 'broken' }, timeoutMs: 5000 });
    expect(await readErrorText(broken.body, 500)).toBe('{"error":');
  });

  it('has no body for a 204, as fetch, and keeps the connection usable', async () => {
    const { url } = await start((req, res) => {
      res.writeHead(req.url === '/file' ? 204 : 200);
      res.end();
    });
    const res = await request(url);
    expect([res.status, res.ok, res.body]).toEqual([204, true, null]);
    expect((await request(url)).status).toBe(204);
  });

  it('refuses a redirect as retryable, and never follows it with the credentials', async () => {
    const elsewhere = await start((_req, res) => res.end('not for you'));
    const { url } = await start((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/file` });
      res.end();
    });
    const err = await request(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/^test download failed: unexpected redirect \(127\.0\.0\.1:\d+\)$/);
    expect(elsewhere.seen).toHaveLength(0);
  });

  it('classifies a refused connection as retryable, naming the code and host only', async () => {
    const { url, server } = await start(() => undefined);
    await new Promise((ok) => server.close(ok));
    const err = await request(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/^test download failed: ECONNREFUSED \(127\.0\.0\.1:\d+\)$/);
    expect((err as Error).message).not.toContain('t0ken');
  });

  it('classifies a header node refuses as retryable, like fetch, without quoting it', async () => {
    const { url } = await start((_req, res) => res.end());
    const err = await openDownload({ upstream: 'test', op: 'download', url, headers: { authorization: 'Bearer t0ken\n' }, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).not.toContain('t0ken');
  });

  it('ends a download that outlives its deadline, before the answer and mid-body, as retryable', async () => {
    const { url } = await start(stallMidBody);
    const silent = await start(() => undefined);
    const early = await request(silent.url, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(RetryableError);
    expect((early as Error).message).toBe('test download timed out after 50 ms');

    // The head and 100 bytes arrive at once; the deadline then ends the body (on a crawling machine it may
    // end the request before the head instead: the same error either way).
    const err = await request(url, { timeoutMs: 1000 })
      .then((res) => writeFileAtomic(res.body!, join(dir, 'b.bin'), { expectedSize: 1000 }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toBe('test download timed out after 1000 ms');
    expect(await readdir(dir)).toEqual([]); // no temporary left
  });

  it("passes the caller's abort reason through untouched, before the answer and mid-body", async () => {
    const { url } = await start(stallMidBody);
    const before = new AbortController();
    before.abort(new Error('shutdown'));
    await expect(request(url, { signal: before.signal })).rejects.toBe(before.signal.reason);

    const during = new AbortController();
    const res = await request(url, { signal: during.signal });
    const writing = writeFileAtomic(res.body!, join(dir, 'c.bin'), { signal: during.signal }).catch((e: unknown) => e);
    during.abort(new Error('forced shutdown'));
    expect(await writing).toBe(during.signal.reason);
    expect(await readdir(dir)).toEqual([]);
  });

  describe('max_download_bytes', () => {
    const LIMIT = 64 * 1024;
    const context = { upstream: 'test', op: 'download', itemKey: 'k' };

    it('a Content-Length above the limit is refused before the body is read: nothing written, nothing more read', async () => {
      let sent = 0;
      const { url } = await start((_req, res) => {
        res.writeHead(200, { 'content-length': String(100 * 1024 * 1024) });
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = () => {
          while (sent < 100 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        };
        res.on('drain', pump);
        pump();
      });
      const res = await request(url);
      const err = await writeFileAtomic(res.body!, join(dir, 'big.bin'), { expectedSize: 100 * 1024 * 1024, maxBytes: LIMIT, context }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DownloadTooLargeError);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as DownloadTooLargeError).message).toBe(
        `download of big.bin is larger than upstreams.test.max_download_bytes (${LIMIT}): its Content-Length is ${100 * 1024 * 1024} bytes; not downloaded, and not tried again until upstreams.test.max_download_bytes is raised to at least ${100 * 1024 * 1024}`,
      );
      expect(await readdir(dir)).toEqual([]);
      expect(res.body!.destroyed).toBe(true);
    });

    it('a body without Content-Length (chunked, endless) is cut off at the limit and its temporary removed', async () => {
      let sent = 0;
      const { url } = await start((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked
        const chunk = Buffer.alloc(16 * 1024, 2);
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        };
        res.on('drain', pump);
        pump();
      });
      const res = await request(url);
      expect(res.headers.get('content-length')).toBeNull();
      const err = await writeFileAtomic(res.body!, join(dir, 'endless.bin'), { maxBytes: LIMIT, context }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DownloadTooLargeError);
      expect((err as DownloadTooLargeError).announced).toBe(false);
      expect((err as DownloadTooLargeError).bytes).toBeGreaterThan(LIMIT);
      expect((err as Error).message).toContain(`more than ${LIMIT} bytes arrived without a Content-Length that says so`);
      expect(await readdir(dir)).toEqual([]);
    });

    it('a body of exactly the limit is written', async () => {
      const { url } = await start((_req, res) => {
        res.writeHead(200, {});
        res.end(Buffer.alloc(LIMIT, 3));
      });
      const res = await request(url);
      const stored = await writeFileAtomic(res.body!, join(dir, 'exact.bin'), { maxBytes: LIMIT, context });
      expect(stored.size).toBe(LIMIT);
    });

    it('more bytes than the Content-Length announced: the download fails and leaves no file', async () => {
      const { url } = await start((_req, res) => {
        res.writeHead(200, { 'content-length': '1000' });
        // The announced 1000 bytes and far more in one write (node's server does not stop at the length).
        res.end(Buffer.alloc(1000 + 512 * 1024, 4));
      });
      const res = await request(url);
      const err = await writeFileAtomic(res.body!, join(dir, 'lying.bin'), { expectedSize: 1000, maxBytes: LIMIT, context }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RetryableError);
      expect((err as Error).message).toMatch(/^test download failed: the connection broke at the end of the body \(HPE_[A-Z_]+; more bytes than its Content-Length announced\?\)$/);
      expect(await readdir(dir)).toEqual([]);
    });
  });
});
