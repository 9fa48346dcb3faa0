import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../../src/core/file-store.js';
import { RELEASE_EVERY_BYTES } from '../../src/core/read-buffer-release.js';

const MiB = 1024 * 1024;

/** `mib` MiB in 64 KiB chunks, as a socket delivers them. */
function socketLike(mib: number): Readable {
  const chunks = Array.from({ length: mib * 16 }, (_, i) => Buffer.alloc(64 * 1024, i % 251));
  return Readable.from(chunks);
}

describe('writeFileAtomic releases the socket buffers it has written', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-release-'));
  });
  afterEach(async () => {
    vi.unstubAllGlobals();
    await rm(dir, { recursive: true, force: true });
  });

  it('asks for a young-generation collection once per 4 MiB downloaded, counted across files', async () => {
    const gc = vi.fn();
    vi.stubGlobal('gc', gc);
    const first = await writeFileAtomic(socketLike(10), join(dir, 'a.bin'));
    expect(gc).toHaveBeenCalledTimes(Math.floor((10 * MiB) / RELEASE_EVERY_BYTES));
    expect(gc).toHaveBeenCalledWith({ type: 'minor' });
    // 10 + 3 MiB: the 2 MiB left over from the first file count towards the next collection.
    await writeFileAtomic(socketLike(3), join(dir, 'b.bin'));
    expect(gc).toHaveBeenCalledTimes(Math.floor((13 * MiB) / RELEASE_EVERY_BYTES));
    // The collections change nothing on disk.
    expect(first.size).toBe(10 * MiB);
    expect(createHash('sha256').update(await readFile(first.path)).digest('hex')).toBe(first.sha256);
  });

  it('is a no-op when node runs without --expose-gc', async () => {
    vi.stubGlobal('gc', undefined);
    const stored = await writeFileAtomic(socketLike(5), join(dir, 'c.bin'));
    expect(stored.size).toBe(5 * MiB);
  });
});
