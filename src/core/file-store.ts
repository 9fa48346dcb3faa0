import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { DownloadTooLargeError } from './download-limit.js';
import { type ErrorContext, PermanentError, RetryableError } from './errors.js';
import { releaseReadBuffers } from './read-buffer-release.js';

/**
 * Deliverables land on disk the same way for every pipeline: streamed to a temporary name beside the target,
 * size and sha256 checked, then renamed — so no partial file ever stands under its final name.
 */

const MAX_NAME_BYTES = 200;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;
/** ASCII letters, digits, `_` and `-`, with dots and spaces inside only: a name no rule of sanitizeFilename changes. */
const PLAIN_NAME = /^[\w-](?:[\w. -]*[\w-])?$/;

/**
 * A filename from an upstream made safe: no directories, no traversal, no control or shell-hostile
 * characters, not hidden, not empty, at most 200 bytes (extension kept).
 */
export function sanitizeFilename(name: string, fallback = 'file'): string {
  // Most names (koppel's own folders, ids, plain vendor names) are already safe, and each file's path is
  // sanitised several times: returned as they are, without a copy per rule below. Same result as the rules.
  if (name.length <= MAX_NAME_BYTES && PLAIN_NAME.test(name) && !WINDOWS_RESERVED.test(name)) return name;
  let out = name.normalize('NFC');
  out = out.split(/[\\/]/).pop() ?? ''; // drop any directory part, both separators
  out = out.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  out = out.replace(/[<>:"|?*`$]/g, '_');
  out = out.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  if (out === '' || out === '.' || out === '..') out = fallback;
  if (WINDOWS_RESERVED.test(out)) out = `_${out}`;
  if (Buffer.byteLength(out) > MAX_NAME_BYTES) {
    const dot = out.lastIndexOf('.');
    const ext = dot > 0 && out.length - dot <= 10 ? out.slice(dot) : '';
    let stem = out.slice(0, out.length - ext.length);
    while (Buffer.byteLength(stem + ext) > MAX_NAME_BYTES) stem = stem.slice(0, -1);
    out = stem + ext;
  }
  return out;
}

/** Joins `parts` under `root`, refusing any result that escapes it. Each part is sanitised. */
export function safeJoin(root: string, ...parts: string[]): string {
  const base = resolve(root);
  const names = parts.map((p) => sanitizeFilename(p));
  // A sanitised part is one plain name (no separator, never "." or ".."), so joining them is what resolve would
  // give, without its normalising pass and a relative() per file; the check still refuses anything else.
  if (names.length === 0 || names.some((n) => n === '' || n === '.' || n === '..' || n.includes('/') || n.includes(sep))) {
    throw new PermanentError(`refusing path outside storage root: ${parts.join('/')}`);
  }
  return (base.endsWith(sep) ? base : base + sep) + names.join(sep);
}

export interface StoredFile {
  path: string;
  size: number;
  sha256: string;
}

export interface WriteFileOptions {
  /** Expected byte count (Content-Length); a shorter or longer body is a transient failure. */
  expectedSize?: number | undefined;
  /** Expected sha256 hex, when the upstream publishes one. */
  expectedSha256?: string | undefined;
  /**
   * Most bytes the file may have (`max_download_bytes`): an `expectedSize` above it is refused before the body
   * is read (nothing is written), a body that grows past it is cut off. Both throw DownloadTooLargeError.
   */
  maxBytes?: number | undefined;
  /** Upstream, op and item, for the errors' messages. */
  context?: ErrorContext | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Bytes gathered before one `writev`: a socket delivers ≤ 64 KiB per read, and one filesystem call per read was
 * most of a download's cost. At most two batches per download are in memory (one being written, one filling).
 */
const WRITE_BATCH_BYTES = 512 * 1024;

/** Streams `body` to `path` atomically. Memory stays flat however large the file is. */
export async function writeFileAtomic(body: Readable, path: string, options: WriteFileOptions = {}): Promise<StoredFile> {
  const staged = await stageFile(body, path, options);
  try {
    await staged.publish();
  } catch (err) {
    await staged.discard();
    throw new RetryableError(`writing ${basename(path)} failed: ${(err as Error).message}`, { cause: err });
  }
  return { path: staged.path, size: staged.size, sha256: staged.sha256 };
}

/** A file written and checked under its temporary name, not yet under its own. */
export interface StagedFile extends StoredFile {
  /** Renames the temporary onto `path` (replacing any file there). */
  publish(): Promise<void>;
  /** Removes the temporary (a staged file that is not to be kept). */
  discard(): Promise<void>;
}

/**
 * writeFileAtomic without the final rename: the caller publishes when it can record the file right after, so
 * that no file stands under its name without its record across a wait (a kill then leaves only a temporary,
 * which removeStaleTemporaries clears).
 */
export async function stageFile(body: Readable, path: string, options: WriteFileOptions = {}): Promise<StagedFile> {
  return (await receiveFile(body, path, options)).stage();
}

/** A body read in full and checked (size, sha256), on its way to its temporary name. */
export interface ReceivedFile {
  readonly size: number;
  readonly sha256: string;
  /**
   * The file under its temporary name: a body of less than one write batch is written only now (the body no
   * longer needs its connection, so a caller can give the connection's slot to the next download first);
   * a larger one was written while it streamed. Call once; a failure leaves no temporary.
   */
  stage(): Promise<StagedFile>;
}

/**
 * stageFile up to the end of the body: a body that fills a write batch is streamed to its temporary as it
 * arrives (memory stays at two batches); a smaller one is held until `stage()`, and nothing is on disk until
 * then. The size and sha256 checks come before either returns.
 */
export async function receiveFile(body: Readable, path: string, options: WriteFileOptions = {}): Promise<ReceivedFile> {
  const folder = dirname(path);
  const { maxBytes = Infinity, expectedSize } = options;
  const tooLarge = (bytes: number, announced: boolean) =>
    new DownloadTooLargeError(`download of ${basename(path)}`, { bytes, limit: maxBytes, announced }, options.context);
  if (expectedSize !== undefined && expectedSize > maxBytes) {
    body.destroy(); // not one byte read: the connection is dropped rather than drained
    throw tooLarge(expectedSize, true);
  }
  const temp = join(folder, `.${basename(path)}.${temporarySuffix()}.part`);
  const hash = createHash('sha256');
  let size = 0;
  // Opened at the first full batch only: a body smaller than one is written by stage().
  let file: FileHandle | undefined;
  // The write in flight while the next batch fills; awaited before the next one starts (and on every exit).
  let writing: Promise<unknown> = Promise.resolve();
  // The caller's abort ends the body, as stream.addAbortSignal would, but without its end-of-stream watcher per
  // file: the listener goes as soon as the body is read (or this fails).
  const { signal } = options;
  const onAbort = () => body.destroy(abortError(signal!.reason));
  try {
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      // Counted before the chunk is written: the temporary never holds more than the limit.
      if (size > maxBytes) throw tooLarge(size, false);
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= WRITE_BATCH_BYTES) {
        file ??= await openExclusive(temp, folder);
        await writing;
        // The batch before this one is on disk and hashed: its socket buffers are garbage now.
        releaseReadBuffers(batchBytes);
        for (const c of batch) hash.update(c);
        writing = writeAll(file, batch);
        batch = [];
        batchBytes = 0;
      }
    }
    signal?.removeEventListener('abort', onAbort);
    await writing;
    for (const c of batch) hash.update(c);
    if (file && batch.length > 0) await writeAll(file, batch);
    options.signal?.throwIfAborted();
    const sha256 = hash.digest('hex');
    if (expectedSize !== undefined && size !== expectedSize) {
      throw new RetryableError(`download of ${basename(path)} was ${size} bytes, expected ${expectedSize} (truncated)`, options.context);
    }
    if (options.expectedSha256 !== undefined && sha256 !== options.expectedSha256.toLowerCase()) {
      throw new RetryableError(`download of ${basename(path)} has sha256 ${sha256}, expected ${options.expectedSha256} (corrupted)`);
    }
    const staged: StagedFile = { path, size, sha256, publish: () => rename(temp, path), discard: () => rm(temp, { force: true }) };
    if (file) {
      releaseReadBuffers(batchBytes);
      await file.close();
      file = undefined;
      return { size, sha256, stage: async () => staged };
    }
    const held = batch;
    return {
      size,
      sha256,
      async stage() {
        try {
          await writeWhole(temp, folder, held);
        } catch (err) {
          throw new RetryableError(`writing ${basename(path)} failed: ${(err as Error).message}`, { cause: err });
        }
        releaseReadBuffers(batchBytes);
        return staged;
      },
    };
  } catch (err) {
    signal?.removeEventListener('abort', onAbort);
    body.destroy();
    await writing.catch(() => undefined);
    if (file) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
    }
    if (err instanceof RetryableError || err instanceof PermanentError || options.signal?.aborted) throw err;
    // A broken stream mid-body is the network's fault, not the file's: retry.
    throw new RetryableError(`writing ${basename(path)} failed: ${(err as Error).message}`, { cause: err });
  }
}

/** A body held in memory written to its temporary; on failure the temporary is removed. */
async function writeWhole(temp: string, folder: string, chunks: Uint8Array[]): Promise<void> {
  const file = await openExclusive(temp, folder);
  try {
    if (chunks.length > 0) await writeAll(file, chunks);
    await file.close();
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * The 12 hex digits of a temporary's name: a random start drawn once per process, then counted up, so names
 * stay unique in this process and unlike another process's, without a call for random bytes per file.
 */
let nextTemporary = randomBytes(6).readUIntBE(0, 6);

function temporarySuffix(): string {
  nextTemporary = nextTemporary >= 0xffff_ffff_ffff ? 0 : nextTemporary + 1;
  return nextTemporary.toString(16).padStart(12, '0');
}

/** The error stream.addAbortSignal ends a stream with: an AbortError whose cause is the signal's reason. */
function abortError(reason: unknown): Error {
  return Object.assign(new Error('The operation was aborted', { cause: reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** Creates the temporary (never an existing file); makes its folder only when it is missing. */
async function openExclusive(temp: string, folder: string): Promise<FileHandle> {
  try {
    return await open(temp, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(folder, { recursive: true });
    return open(temp, 'wx');
  }
}

/** `writev` until every byte is down (the kernel may take fewer bytes than asked). */
async function writeAll(file: FileHandle, chunks: Uint8Array[]): Promise<void> {
  let pending = chunks;
  let left = pending.reduce((n, c) => n + c.length, 0);
  while (left > 0) {
    const { bytesWritten } = await file.writev(pending);
    left -= bytesWritten;
    if (left === 0) return;
    // Drop what was written, keep the rest (rare: a partial writev).
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const c of pending) {
      if (skip >= c.length) skip -= c.length;
      else {
        rest.push(skip > 0 ? c.subarray(skip) : c);
        skip = 0;
      }
    }
    pending = rest;
  }
}

/**
 * Removes the temporaries (`.<name>.<random>.part`) that writes killed mid-file left in `folder`. Call it only
 * where nothing else can be writing: a folder that one pipeline owns, under its lock. Missing folder = no-op.
 */
export async function removeStaleTemporaries(folder: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return 0;
  }
  const stale = names.filter((name) => /^\..+\.[0-9a-f]{12}\.part$/.test(name));
  for (const name of stale) await rm(join(folder, name), { force: true });
  return stale.length;
}

/**
 * Readies the folder of files about to be written, in a folder that one writer owns (under its lock): made when
 * missing, and then nothing can be stale in it; otherwise cleared of the temporaries a killed write left. One
 * call instead of listing a missing folder, then failing the first file's open, then making the folder.
 */
export async function prepareFolder(folder: string): Promise<void> {
  // mkdir -p names the first folder it made, and nothing when the folder was already there.
  if ((await mkdir(folder, { recursive: true })) === undefined) await removeStaleTemporaries(folder);
}

/** Size and sha256 of a file already on disk (streamed: memory stays flat). */
export async function hashFile(path: string): Promise<Omit<StoredFile, 'path'>> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: WRITE_BATCH_BYTES }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { size, sha256: hash.digest('hex') };
}

/** Size of a file, or undefined when it is absent. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
