/**
 * receiveFile: the body read and checked first; a body smaller than one write batch reaches the disk only at
 * stage() (so a download can give its upstream slot back before its file is written), a larger one streams to
 * its temporary as it arrives. Either way stage() gives the staged file stageFile would.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../src/core/errors.js';
import { receiveFile } from '../../src/core/file-store.js';

describe('receiveFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-receive-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('holds a small body until stage(), then writes, checks and publishes it like stageFile', async () => {
    const received = await receiveFile(Readable.from([Buffer.from('small '), Buffer.from('file')]), join(dir, 'a.txt'), { expectedSize: 10 });
    expect(received.size).toBe(10);
    expect(await readdir(dir)).toEqual([]);
    const staged = await received.stage();
    expect(staged.sha256).toBe(received.sha256);
    expect((await readdir(dir)).map((n) => /^\.a\.txt\.[0-9a-f]{12}\.part$/.test(n))).toEqual([true]);
    await staged.publish();
    expect(await readdir(dir)).toEqual(['a.txt']);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('small file');
  });

  it('checks a small body before anything is written: a truncated one leaves nothing on disk', async () => {
    const err = await receiveFile(Readable.from([Buffer.from('half')]), join(dir, 'b.txt'), { expectedSize: 8 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/was 4 bytes, expected 8 \(truncated\)/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('streams a body larger than a write batch to its temporary while it arrives', async () => {
    const chunk = Buffer.alloc(256 * 1024, 1);
    const received = await receiveFile(Readable.from([chunk, chunk, chunk]), join(dir, 'c.bin'));
    expect((await readdir(dir)).length).toBe(1); // on disk before stage()
    const staged = await received.stage();
    await staged.publish();
    expect((await readFile(join(dir, 'c.bin'))).length).toBe(3 * chunk.length);
  });

  it('stage() makes a missing folder; one that cannot write fails retryable and leaves no temporary', async () => {
    await writeFile(join(dir, 'file'), 'not a folder');
    const made = await receiveFile(Readable.from([Buffer.from('x')]), join(dir, 'new', 'd.txt'));
    const blocked = await receiveFile(Readable.from([Buffer.from('x')]), join(dir, 'file', 'd.txt'));
    await (await made.stage()).publish();
    const err = await blocked.stage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/^writing d\.txt failed/);
    expect((await readdir(dir)).sort()).toEqual(['file', 'new']);
    expect(await readdir(join(dir, 'new'))).toEqual(['d.txt']);
  });
});
