import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareFolder, removeStaleTemporaries } from '../../src/core/file-store.js';

describe('removeStaleTemporaries', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-temps-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("removes exactly writeFileAtomic's temporaries (.<name>.<12 hex>.part), and nothing when the folder is missing", async () => {
    // The name writeFileAtomic gives its temporary; a process killed mid-file leaves it behind.
    await writeFile(join(dir, '.report.pdf.0123456789ab.part'), 'half');
    await writeFile(join(dir, 'report.pdf'), 'final');
    await writeFile(join(dir, '.hidden.part'), 'not ours: no random suffix');
    await writeFile(join(dir, 'notes.part'), 'not ours: not hidden');

    expect(await removeStaleTemporaries(dir)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['.hidden.part', 'notes.part', 'report.pdf']);
    expect(await removeStaleTemporaries(join(dir, 'missing'))).toBe(0);
  });

  it('prepareFolder makes a missing folder (and its parents), and clears an existing one of temporaries only', async () => {
    const fresh = join(dir, 'ambita', '1234');
    await prepareFolder(fresh);
    expect((await stat(fresh)).isDirectory()).toBe(true);
    expect(await readdir(fresh)).toEqual([]);

    await writeFile(join(fresh, '.report.pdf.0123456789ab.part'), 'half');
    await writeFile(join(fresh, 'report.pdf'), 'final');
    await prepareFolder(fresh);
    expect(await readdir(fresh)).toEqual(['report.pdf']);
  });
});
