/**
 * V8 frees socket buffers only at a scavenge, and a download allocates too little else to trigger one: with
 * `--expose-gc` (the image's ENTRYPOINT) koppel asks for one every few MiB written. Without the flag, a no-op.
 * Figures (download peak RSS with and without): bench/REPORT.md, the download benchmark's tunings.
 */

/** Bytes read between two collections. @default 4 MiB */
export const RELEASE_EVERY_BYTES = 4 * 1024 * 1024;

// Counted for the whole process, as V8's young generation is: four downloads of 1 MiB add up like one of 4 MiB.
let readSinceRelease = 0;

/** Counts `bytes` a download has read and written away; collects the young generation every RELEASE_EVERY_BYTES. */
export function releaseReadBuffers(bytes: number): void {
  readSinceRelease += bytes;
  if (readSinceRelease < RELEASE_EVERY_BYTES) return;
  readSinceRelease = 0;
  globalThis.gc?.({ type: 'minor' });
}
