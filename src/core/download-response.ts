import type { Readable } from 'node:stream';

/** A download's answer: status and headers as fetch has them, the body as the socket delivers it. */
export interface DownloadResponse {
  readonly status: number;
  readonly ok: boolean;
  /** Built when first read; `header` reads one without building it. */
  readonly headers: Headers;
  /** One header's value as `headers.get` gives it (repeated ones joined by ", "), null when absent. */
  header(name: string): string | null;
  /**
   * Errors with the deadline's RetryableError or the caller's abort reason when either ends it early. Null for
   * the statuses fetch gives no body (204, 205, 304), so clients check for a body as they did with fetch.
   */
  readonly body: Readable | null;
}
