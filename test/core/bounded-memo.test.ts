import { describe, expect, it } from 'vitest';
import { BoundedMemo } from '../../src/core/bounded-memo.js';

describe('BoundedMemo', () => {
  it('computes a repeated key once, undefined results included, and starts over when full', () => {
    const calls: string[] = [];
    const memo = new BoundedMemo(2, (k: string) => {
      calls.push(k);
      return k === 'bad' ? undefined : k.toUpperCase();
    });
    expect([memo.get('a'), memo.get('a'), memo.get('bad'), memo.get('bad')]).toEqual(['A', 'A', undefined, undefined]);
    expect(calls).toEqual(['a', 'bad']);
    expect(memo.get('c')).toBe('C'); // full: forgets a and bad
    expect(memo.get('a')).toBe('A');
    expect(calls).toEqual(['a', 'bad', 'c', 'a']);
  });
});
