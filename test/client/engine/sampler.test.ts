import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchSampler, EpochCycle } from '../../../client/engine/sampler.js';
import { Random } from '../../../shared/random.js';

const identity = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('EpochCycle', () => {
  it('draws from a Random one shuffle per pass, in the order the Random gives them', () => {
    const rng = new Random(7);
    const expected = [...rng.shuffle(identity(10)), ...rng.shuffle(identity(10)), ...rng.shuffle(identity(10)).slice(0, 5)];
    expect(new EpochCycle(10, new Random(7)).take(25)).toEqual(expected);
  });

  it("continued: visits that skip what earlier ones drew equal one stream, whatever the split", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 5 }), fc.nat(1000), (count, parts, seed) => {
        const total = parts.reduce((a, b) => a + b, 0);
        const whole = EpochCycle.continuedAt(count, seed, 0).take(total);
        let skip = 0;
        const pieces = parts.flatMap((n) => {
          const drawn = EpochCycle.continuedAt(count, seed, skip).take(n);
          skip += n;
          return drawn;
        });
        expect(pieces).toEqual(whole);
      }),
      { numRuns: 80 },
    );
  });

  it('continued: every pass is a permutation, and passes and seeds differ', () => {
    const stream = EpochCycle.continuedAt(64, 3, 0).take(64 * 3);
    const passes = [0, 1, 2].map((p) => stream.slice(p * 64, (p + 1) * 64));
    for (const pass of passes) expect(sorted(pass)).toEqual([...identity(64)]);
    expect(passes[0]).not.toEqual(passes[1]);
    expect(EpochCycle.continuedAt(64, 4, 0).take(64)).not.toEqual(passes[0]);
  });

  it('continued: a skip of many passes costs one shuffle and lands in the right pass', () => {
    const far = EpochCycle.continuedAt(8, 1, 8 * 1_000_000 + 3).take(5);
    const pass = EpochCycle.continuedAt(8, 1, 8 * 1_000_000).take(8);
    expect(far).toEqual(pass.slice(3, 8));
  });
});

describe('BatchSampler with a continued order', () => {
  it("two visits' new samples are one visit's, and the replay part follows the stage's seed alone", () => {
    const order = { seed: 11, skip: 0 };
    const whole = new BatchSampler(30, 0, 6, 0, 5, order);
    const wholeDraws = Array.from({ length: 8 }, () => whole.next()).flat();
    const first = new BatchSampler(30, 0, 6, 0, 99, order);
    const second = new BatchSampler(30, 0, 6, 0, 42, { seed: 11, skip: 5 * 6 });
    const split = [...Array.from({ length: 5 }, () => first.next()).flat(), ...Array.from({ length: 3 }, () => second.next()).flat()];
    expect(split).toEqual(wholeDraws);
    // Replayed indices come after the 30 new ones, 2 per batch, from the stage's own seed.
    const withReplay = new BatchSampler(30, 10, 6, 2, 5, order).next();
    const otherOrder = new BatchSampler(30, 10, 6, 2, 5, { seed: 12, skip: 7 }).next();
    expect(withReplay.slice(4)).toHaveLength(2);
    expect(withReplay.slice(4).every((i) => i >= 30)).toBe(true);
    expect(withReplay.slice(0, 4)).toEqual(wholeDraws.slice(0, 4));
    expect(otherOrder.slice(4)).toEqual(withReplay.slice(4));
    expect(otherOrder.slice(0, 4)).not.toEqual(withReplay.slice(0, 4));
  });
});
