/** Measurements in pairs of alternating order (bench/alternating-pairs.ts). */
import { describe, expect, it } from 'vitest';
import { alternatingPairs } from '../../bench/alternating-pairs.js';

describe('alternatingPairs', () => {
  it('reverses the order every other pair and returns each pair in the keys\' order', async () => {
    const ran: string[] = [];
    let clock = 0;
    const pairs = await alternatingPairs(['a', 'b', 'c'], 3, async (k) => {
      ran.push(k);
      return `${k}${clock++}`;
    });
    expect(ran).toEqual(['a', 'b', 'c', 'c', 'b', 'a', 'a', 'b', 'c']);
    expect(pairs).toEqual([['a0', 'b1', 'c2'], ['a5', 'b4', 'c3'], ['a6', 'b7', 'c8']]);
  });

  it('stops at the first failure', async () => {
    const ran: string[] = [];
    await expect(alternatingPairs(['a', 'b'], 2, async (k) => {
      ran.push(k);
      if (k === 'b') throw new Error('b failed');
      return k;
    })).rejects.toThrow('b failed');
    expect(ran).toEqual(['a', 'b']);
  });
});
