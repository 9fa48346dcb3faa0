/**
 * stageFile and the caller's abort: a body whose own source does not end it on abort (not an openDownload body)
 * is ended by stageFile, with the AbortError stream.addAbortSignal would give, and no temporary is left. Each
 * file's temporary gets its own name.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stageFile } from '../../src/core/file-store.js';

describe('stageFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-abort-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("ends a body that never ends on the caller's abort: AbortError with the reason as cause, nothing left on disk", async () => {
    const body = new Readable({ read() {} });
    body.push(Buffer.from('half a file'));
    const caller = new AbortController();
    const staging = stageFile(body, join(dir, 'a.bin'), { signal: caller.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const reason = new Error('shutdown');
    caller.abort(reason);
    const err = (await staging) as Error & { code?: string };
    expect([err.name, err.code, err.cause]).toEqual(['AbortError', 'ABORT_ERR', reason]);
    expect(body.destroyed).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses at once with a signal aborted before it starts; a body read in full takes no abort later', async () => {
    const before = new AbortController();
    before.abort(new Error('already'));
    const refused = (await stageFile(Readable.from([Buffer.from('x')]), join(dir, 'b.bin'), { signal: before.signal }).catch((e: unknown) => e)) as Error;
    expect(refused.name).toBe('AbortError');
    expect(await readdir(dir)).toEqual([]);

    const later = new AbortController();
    const staged = await stageFile(Readable.from([Buffer.from('whole')]), join(dir, 'c.bin'), { signal: later.signal, expectedSize: 5 });
    later.abort(new Error('after the body'));
    await staged.publish();
    expect(await readdir(dir)).toEqual(['c.bin']);
  });

  it('gives every temporary a name of its own', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const staged = await stageFile(Readable.from([Buffer.from(String(i))]), join(dir, 'same.bin'));
      for (const name of await readdir(dir)) names.add(name);
      await staged.discard();
    }
    expect(names.size).toBe(50);
    for (const name of names) expect(name).toMatch(/^\.same\.bin\.[0-9a-f]{12}\.part$/);
  });
});
