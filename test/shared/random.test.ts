import { describe, expect, it } from 'vitest';
import { deriveSeed, Random, shuffledIndices } from '../../shared/random.js';

describe('Random', () => {
  it('is reproducible from its seed', () => {
    const a = new Random(42);
    const b = new Random(42);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => new Random(43).next())).not.toEqual(xs);
  });

  it('gives values in range with a plausible mean', () => {
    const rng = new Random(7);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
      const k = rng.int(-3, 4);
      expect(Number.isInteger(k) && k >= -3 && k < 4).toBe(true);
    }
    expect(sum / 20_000).toBeCloseTo(0.5, 1);
    expect(() => rng.int(2, 2)).toThrow(/empty range/);
  });

  it('has a roughly standard normal', () => {
    const rng = new Random(3);
    const xs = Array.from({ length: 20_000 }, () => rng.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('shuffles into a permutation', () => {
    const order = shuffledIndices(1000, 5);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...order]).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...shuffledIndices(1000, 5)]).toEqual([...order]);
  });
});

describe('deriveSeed', () => {
  it('depends on the seed and every label', () => {
    const seeds = new Set([
      deriveSeed(0),
      deriveSeed(1),
      deriveSeed(0, 'a'),
      deriveSeed(0, 'b'),
      deriveSeed(0, 'a', 'b'),
      deriveSeed(0, 'ab'),
      deriveSeed(0, 1),
      deriveSeed(0, '1'),
      deriveSeed(2 ** 32),
      deriveSeed(2 ** 40 + 1),
    ]);
    expect(seeds.size).toBe(10);
    expect(deriveSeed(9, 'x', 3)).toBe(deriveSeed(9, 'x', 3));
  });

  it('is a stable function (pinned values guard cross-version drift)', () => {
    expect([deriveSeed(0), deriveSeed(1, 'stream', 'instance'), new Random(0).nextUint32()]).toEqual([2856213345, 102892339, 2990414398]);
  });
});
