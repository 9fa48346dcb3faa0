import { describe, expect, it } from 'vitest';
import { itemHash } from '../../src/pipelines/planogram-catalog/compare.js';
import { ActionSample } from '../../src/pipelines/planogram-catalog/plan-state.js';
import { Flag, ReferenceIndex } from '../../src/pipelines/planogram-catalog/reference-index.js';
import { defaultItem } from '../../src/upstreams/planogrambuilder/defaults.js';

describe('ReferenceIndex', () => {
  it('keeps remote hashes, first lines, flags and absence across growth', () => {
    const index = new ReferenceIndex();
    const n = 5000; // past several doublings of the initial 1024 slots
    for (let i = 0; i < n; i++) index.addRemote(`p${i}`, Buffer.from(itemHash({ ...defaultItem('product', `P${i}`), width: i }), 'hex'));
    for (let i = 0; i < n; i += 2) expect(index.see(`p${i}`, i + 2).firstLine).toBeUndefined();
    const extra = index.see('new-1', 9999);
    expect(index.has(extra.slot, Flag.REMOTE)).toBe(false);
    expect(index.size).toBe(n + 1);
    expect(index.see('p10', 77)).toEqual({ slot: index.slot('p10'), firstLine: 12 });
    const p42 = index.slot('p42')!;
    expect(index.sameAsRemote(p42, itemHash({ ...defaultItem('product', 'P42'), width: 42 }))).toBe(true);
    expect(index.sameAsRemote(p42, itemHash({ ...defaultItem('product', 'P42'), width: 43 }))).toBe(false);
    expect(index.line(p42)).toBe(44);
    index.set(p42, Flag.UPDATE);
    expect(index.count(Flag.UPDATE)).toBe(1);
    expect(index.count(Flag.REMOTE, Flag.SEEN)).toBe(n / 2);
    expect([index.absent('p1'), index.absent('p2'), index.absent('new-1'), index.absent('nowhere')]).toEqual([true, false, false, false]);
    expect(index.slot('nowhere')).toBeUndefined();
  });

  it('takes the first remote item after the catalog has grown it, and keeps its hash through later growth', () => {
    const index = new ReferenceIndex();
    const hash = (i: number) => itemHash({ ...defaultItem('product', `P${i}`), width: i });
    for (let i = 0; i < 3000; i++) index.see(`p${i}`, i + 2);
    expect(index.sameAsRemote(index.slot('p7')!, hash(7))).toBe(false);
    index.addRemote('p7', Buffer.from(hash(7), 'hex'));
    for (let i = 3000; i < 9000; i++) index.addRemote(`p${i}`, Buffer.from(hash(i), 'hex'));
    expect(index.sameAsRemote(index.slot('p7')!, hash(7))).toBe(true);
    expect(index.sameAsRemoteBytes(index.slot('p8999')!, Buffer.from(hash(8999), 'hex'))).toBe(true);
    expect(index.sameAsRemoteBytes(index.slot('p8999')!, Buffer.from(hash(8998), 'hex'))).toBe(false);
    expect(index.count(Flag.REMOTE, Flag.SEEN)).toBe(6000);
  });
});

describe('ReferenceIndex across chunks', () => {
  it('keeps every column right past several chunks, the remote hashes added after the catalog filled them', () => {
    const index = new ReferenceIndex();
    const n = 150_000; // three chunks of 65,536 slots
    const hash = (i: number) => Buffer.from(itemHash({ ...defaultItem('product', `P${i}`), width: i % 1000, height: i % 997 }), 'hex');
    for (let i = 0; i < n; i++) expect(index.see(`p${i}`, i + 2).firstLine).toBeUndefined();
    for (let i = 0; i < n; i += 3) index.addRemote(`p${i}`, hash(i));
    for (let i = n; i < n + 70_000; i++) index.addRemote(`p${i}`, hash(i));
    expect(index.size).toBe(n + 70_000);
    for (const i of [0, 65_535, 65_536, 131_071, 131_072, 149_999]) {
      const slot = index.slot(`p${i}`)!;
      expect(index.line(slot)).toBe(i + 2);
      expect(index.see(`p${i}`, 1).firstLine).toBe(i + 2);
      expect(index.has(slot, Flag.REMOTE)).toBe(i % 3 === 0);
      expect(index.sameAsRemoteBytes(slot, hash(i))).toBe(i % 3 === 0);
    }
    const last = index.slot(`p${n + 69_999}`)!;
    expect(index.sameAsRemote(last, hash(n + 69_999).toString('hex'))).toBe(true);
    expect(index.line(last)).toBe(0);
    expect(index.count(Flag.REMOTE, Flag.SEEN)).toBe(70_000);
    expect(index.count(Flag.SEEN | Flag.REMOTE)).toBe(n / 3);
    expect([index.absent(`p${n + 5}`), index.absent('p3'), index.absent('p4')]).toEqual([true, false, false]);
  });
});

describe('ActionSample', () => {
  it('keeps the first N of each action and counts the rest', () => {
    const sample = new ActionSample(2);
    for (const action of ['create', 'create', 'update', 'create', 'create', 'delete']) sample.add({ action, key: action });
    expect(sample.actions.map((a) => a.action)).toEqual(['create', 'create', 'update', 'delete']);
    expect(sample.omitted).toBe(2);
  });
});
