/**
 * A bound on what one download may write to `storage.root`. An upstream that announces a huge file, lies in
 * its Content-Length or streams without end must not be able to fill the disk: the announced length is
 * checked before the body is read, and the bytes are counted while they stream (see writeFileAtomic).
 */
import { z } from 'zod';
import { PermanentError, type ErrorContext } from './errors.js';

/**
 * 2 GiB: the deliverables koppel mirrors (reports, PDFs, maps, spreadsheets, zip) are kilobytes to tens of
 * megabytes, so this is two orders of magnitude above any real one, yet a runaway stream stops long before
 * it fills a typical volume.
 */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024 ** 3;

/** Spread into the schema of an upstream that downloads files. */
export const downloadLimitSchema = {
  /**
   * Largest file one download may write. A larger Content-Length is refused before the body is read; a body
   * without (or beyond) a Content-Length is cut off at this size. The item is then refused until the limit is
   * raised. @default 2147483648 (2 GiB)
   */
  max_download_bytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(DEFAULT_MAX_DOWNLOAD_BYTES).describe('largest file one download may write, in bytes'),
};

/**
 * A file larger than `max_download_bytes`: the same answer comes back on every attempt, so it is permanent for
 * the item until the config changes. `bytes` is the announced length, or the bytes received when the body
 * passed the limit without announcing it.
 */
export class DownloadTooLargeError extends PermanentError {
  readonly bytes: number;
  readonly limit: number;
  readonly announced: boolean;
  constructor(what: string, d: { bytes: number; limit: number; announced: boolean }, ctx: ErrorContext = {}) {
    const upstream = ctx.upstream ?? 'the upstream';
    const size = d.announced ? `its Content-Length is ${d.bytes} bytes` : `more than ${d.limit} bytes arrived without a Content-Length that says so`;
    const raise = d.announced ? `to at least ${d.bytes}` : '(its size is unknown)';
    super(
      `${what} is larger than upstreams.${upstream}.max_download_bytes (${d.limit}): ${size}; not downloaded, and not ` +
        `tried again until upstreams.${upstream}.max_download_bytes is raised ${raise}`,
      ctx,
    );
    this.bytes = d.bytes;
    this.limit = d.limit;
    this.announced = d.announced;
  }
}
