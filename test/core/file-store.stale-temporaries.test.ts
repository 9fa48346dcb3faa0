import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTemporaries, writeFileAtomic } from '../../src/core/file-store.js';

describe('removeStaleTemporaries', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-temps-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("removes exactly writeFileAtomic's temporaries, and nothing when the folder is missing", async () => {
    // A temporary as a write killed mid-file leaves it: abort the body half-way, then put the .part back by name.
    const aborted = new AbortController();
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(1000));
    const writing = writeFileAtomic(body, join(dir, 'report.pdf'), { signal: aborted.signal });
    aborted.abort();
    await expect(writing).rejects.toThrow();
    await writeFile(join(dir, '.report.pdf.0123456789ab.part'), 'half');
    await writeFile(join(dir, 'report.pdf'), 'final');
    await writeFile(join(dir, '.hidden.part'), 'not ours: no random suffix');
    await writeFile(join(dir, 'notes.part'), 'not ours: not hidden');

    expect(await removeStaleTemporaries(dir)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['.hidden.part', 'notes.part', 'report.pdf']);
    expect(await removeStaleTemporaries(join(dir, 'missing'))).toBe(0);
  });
});
