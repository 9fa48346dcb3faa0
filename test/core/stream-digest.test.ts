import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StreamDigest } from '../../src/core/stream-digest.js';

describe('StreamDigest (sha256 on a worker thread)', () => {
  it('gives the sha256 of every byte handed over, in order, for streams digested side by side', async () => {
    const parts = [randomBytes(700_000), Buffer.alloc(0), randomBytes(3), randomBytes(1_500_000), randomBytes(65_536)];
    const a = new StreamDigest();
    const b = new StreamDigest();
    // Batches of several chunks, views into larger buffers, and a reused (then overwritten) batch array.
    const batch: Uint8Array[] = [];
    for (const part of parts) {
      batch.push(part.subarray(0, 10), part.subarray(10));
      await a.update(batch);
      await b.update([part]);
      batch.length = 0;
    }
    await b.update([Buffer.from('tail')]);
    const whole = Buffer.concat(parts);
    expect(await a.digest()).toBe(createHash('sha256').update(whole).digest('hex'));
    expect(await b.digest()).toBe(createHash('sha256').update(whole).update('tail').digest('hex'));
    expect(await new StreamDigest().digest()).toBe(createHash('sha256').digest('hex'));
  });

  it('copies what it is handed: overwriting a buffer right after update does not change the digest', async () => {
    const digest = new StreamDigest();
    const buffer = Buffer.alloc(1024, 1);
    await digest.update([buffer]);
    buffer.fill(2);
    expect(await digest.digest()).toBe(createHash('sha256').update(Buffer.alloc(1024, 1)).digest('hex'));
  });

  it('forgets an abandoned stream without disturbing the others', async () => {
    const kept = new StreamDigest();
    const dropped = new StreamDigest();
    await dropped.update([Buffer.from('half a file')]);
    await kept.update([Buffer.from('kept')]);
    dropped.abandon();
    await expect(dropped.digest()).rejects.toThrow(/abandoned/);
    expect(await kept.digest()).toBe(createHash('sha256').update('kept').digest('hex'));
  });
});

describe('StreamDigest slots', () => {
  it('hashes more streams at once than there are slots, and batches larger than a slot, without mixing bytes up', async () => {
    const streams = Array.from({ length: 12 }, (_, i) => ({ digest: new StreamDigest(), bytes: randomBytes(2_500_000 + i) }));
    await Promise.all(
      streams.map(async (s) => {
        for (let at = 0; at < s.bytes.length; at += 900_000) await s.digest.update([s.bytes.subarray(at, at + 450_000), s.bytes.subarray(at + 450_000, at + 900_000)]);
      }),
    );
    for (const s of streams) expect(await s.digest.digest()).toBe(createHash('sha256').update(s.bytes).digest('hex'));
  });
});
