/** Portable log/exp and the Gamma and Dirichlet samplers the Dirichlet stream draws from. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { portableExp, portableLog } from '../../shared/portable-math.js';
import { dirichletSample, logGammaSample, portableNormal } from '../../shared/random-gamma.js';
import { Random } from '../../shared/random.js';

describe('portable log and exp', () => {
  it('agree with Math.log and Math.exp to a few units in the last place', () => {
    fc.assert(
      fc.property(fc.double({ min: 5e-324, max: 1.7e308, noNaN: true }), (x) => {
        expect(Math.abs(portableLog(x) - Math.log(x))).toBeLessThanOrEqual(4e-16 * Math.max(1, Math.abs(Math.log(x))));
      }),
      { seed: 7, numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.double({ min: -700, max: 700, noNaN: true }), (x) => {
        expect(Math.abs(portableExp(x) - Math.exp(x))).toBeLessThanOrEqual(4e-16 * Math.exp(x));
      }),
      { seed: 8, numRuns: 2000 },
    );
  });

  it('handle the edges', () => {
    expect(portableLog(1)).toBe(0);
    expect(portableLog(0)).toBe(-Infinity);
    expect(portableLog(-1)).toBeNaN();
    expect(portableLog(Infinity)).toBe(Infinity);
    expect(portableLog(5e-324)).toBeCloseTo(Math.log(5e-324), 10);
    expect(portableExp(0)).toBe(1);
    expect(portableExp(-800)).toBe(0);
    expect(portableExp(800)).toBe(Infinity);
    expect(portableExp(-744)).toBe(Math.exp(-744));
  });
});

/** Mean and variance of `n` samples. */
function moments(draw: () => number, n: number): { mean: number; variance: number } {
  const xs = Array.from({ length: n }, draw);
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  return { mean, variance: xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) };
}

describe('samplers', () => {
  it('normal: mean 0, variance 1', () => {
    const rng = new Random(1);
    const m = moments(() => portableNormal(rng), 20_000);
    expect(Math.abs(m.mean)).toBeLessThan(0.03);
    expect(Math.abs(m.variance - 1)).toBeLessThan(0.05);
  });

  it.each([0.1, 0.5, 1, 3, 50])('gamma(%s): mean and variance equal the shape', (shape) => {
    const rng = new Random(2);
    const m = moments(() => Math.exp(logGammaSample(rng, shape)), 20_000);
    expect(Math.abs(m.mean - shape)).toBeLessThan(0.05 * Math.max(1, Math.sqrt(shape)));
    expect(Math.abs(m.variance - shape) / shape).toBeLessThan(0.15);
  });

  it('gamma of a tiny shape stays finite in logs where the sample underflows', () => {
    const rng = new Random(3);
    const logs = Array.from({ length: 200 }, () => logGammaSample(rng, 0.005));
    expect(logs.every(Number.isFinite)).toBe(true);
    expect(logs.some((l) => l < -745)).toBe(true);
    expect(() => logGammaSample(rng, 0)).toThrow(/gamma shape/);
  });

  it('dirichlet: shares sum to 1, mean 1/k, variance (k-1)/(k^2 (k alpha + 1))', () => {
    const k = 4;
    const alpha = 0.5;
    const rng = new Random(4);
    const draws = Array.from({ length: 10_000 }, () => dirichletSample(rng, alpha, k));
    expect(draws.every((d) => Math.abs(d.reduce((a, b) => a + b, 0) - 1) < 1e-12)).toBe(true);
    const first = moments(
      (() => {
        let i = 0;
        return () => draws[i++][0];
      })(),
      draws.length,
    );
    expect(Math.abs(first.mean - 1 / k)).toBeLessThan(0.01);
    expect(Math.abs(first.variance - (k - 1) / (k * k * (k * alpha + 1)))).toBeLessThan(0.005);
  });

  it('is reproducible from the seed', () => {
    expect(dirichletSample(new Random(9), 0.1, 10)).toEqual(dirichletSample(new Random(9), 0.1, 10));
    expect(dirichletSample(new Random(9), 0.1, 10)).not.toEqual(dirichletSample(new Random(10), 0.1, 10));
  });
});
