/**
 * stageFile's `bodyArrived`: a small announced body is read whole before its temporary is opened (an upstream
 * call gives its slot back there); any other body streams to disk and says so once it has all arrived. The
 * checks stay the same on both paths: a body longer or shorter than announced fails and leaves no file.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../src/core/errors.js';
import { SMALL_BODY_BYTES, stageFile } from '../../src/core/file-store.js';

/** A body of `chunks`, delivered one per read. */
const bodyOf = (...chunks: Buffer[]) => Readable.from(chunks, { objectMode: false });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('stageFile bodyArrived', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koppel-stage-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('a small announced body arrives whole before its temporary exists, then lands checked', async () => {
    const content = Buffer.alloc(3000, 7);
    let seen: string[] | undefined;
    const staged = await stageFile(bodyOf(content.subarray(0, 1000), content.subarray(1000)), join(dir, 'a.bin'), {
      expectedSize: content.length,
      bodyArrived: () => (seen = readdirSync(dir)),
    });
    expect(seen).toEqual([]); // nothing opened yet when the body had arrived
    expect(staged).toMatchObject({ size: 3000, sha256: sha(content) });
    await staged.publish();
    expect(await readFile(join(dir, 'a.bin'))).toEqual(content);
  });

  it('a body announced larger than SMALL_BODY_BYTES, or not announced, streams; bodyArrived comes after the last byte', async () => {
    for (const expectedSize of [SMALL_BODY_BYTES + 1, undefined]) {
      const content = Buffer.alloc(SMALL_BODY_BYTES + 1, 1);
      let arrivedWithTemporary = false;
      const path = join(dir, `b-${expectedSize ?? 'unannounced'}.bin`);
      const staged = await stageFile(bodyOf(content.subarray(0, 4096), content.subarray(4096)), path, {
        expectedSize,
        bodyArrived: () => (arrivedWithTemporary = readdirSync(dir).some((n) => n.endsWith('.part'))),
      });
      expect(staged.sha256).toBe(sha(content));
      await staged.publish();
      expect(arrivedWithTemporary).toBe(true); // the temporary was open while the body streamed in
    }
  });

  it('more or fewer bytes than a small announced length fail as before and leave no file', async () => {
    const longer = await stageFile(bodyOf(Buffer.alloc(100, 1), Buffer.alloc(5000, 2)), join(dir, 'long.bin'), { expectedSize: 100 }).catch((e: unknown) => e);
    expect(longer).toBeInstanceOf(RetryableError);
    expect((longer as Error).message).toBe('download of long.bin was 5100 bytes, expected 100 (truncated)');
    const shorter = await stageFile(bodyOf(Buffer.alloc(50, 1)), join(dir, 'short.bin'), { expectedSize: 100 }).catch((e: unknown) => e);
    expect((shorter as Error).message).toBe('download of short.bin was 50 bytes, expected 100 (truncated)');
    expect(await readdir(dir)).toEqual([]);
  });
});
