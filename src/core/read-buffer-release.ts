/**
 * Frees the socket buffers downloads are done with, by a young-generation collection after every few MiB written,
 * when node runs with `--expose-gc` (the production image does: Dockerfile ENTRYPOINT). Without it this is a no-op.
 *
 * Why: every socket read lands in a fresh 64 KiB ArrayBuffer, and its memory is freed only when V8 collects the
 * small object holding it. A download allocates little else on the JS heap, so allocation alone triggers no
 * collection; V8 collects young buffers by themselves only once 32 MiB of them have piled up (twice its default
 * semi-space, whatever `--max-semi-space-size` says). That pile was ~25 MiB of the peak RSS of a 200 MiB download.
 * A scavenge with next to nothing alive costs ~1 ms, so one per 4 MiB is a few % of a download's main-thread time.
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
