import { describe, expect, it } from 'vitest';
import { incompleteBeta, mean, pairedDifference, sampleSd, studentTCdf, summarize, tQuantile } from '../../../server/report/seeds/statistics.js';

describe('statistics over seeds', () => {
  it('t quantiles match the tables', () => {
    // Two-sided 95% (p = 0.975) and others, from any t table (4 decimals).
    const table: Array<[number, number, number]> = [
      [0.975, 1, 12.7062],
      [0.975, 2, 4.3027],
      [0.975, 3, 3.1824],
      [0.975, 4, 2.7764],
      [0.975, 9, 2.2622],
      [0.975, 30, 2.0423],
      [0.995, 4, 4.6041],
      [0.9, 5, 1.4759],
    ];
    for (const [p, df, t] of table) expect(tQuantile(p, df)).toBeCloseTo(t, 3);
    expect(tQuantile(0.025, 2)).toBeCloseTo(-4.3027, 3);
    expect(tQuantile(0.5, 7)).toBeCloseTo(0, 9);
  });

  it('the t cdf and incomplete beta agree with closed forms', () => {
    // df = 1 is the Cauchy distribution: P(T <= t) = 1/2 + atan(t)/pi.
    for (const t of [-3, -0.5, 0, 1, 12.706]) expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 10);
    // I_x(1, 1) = x; I_x(2, 1) = x^2.
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(incompleteBeta(0.3, 2, 1)).toBeCloseTo(0.09, 12);
  });

  it('mean, sd and interval of a sample', () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(xs)).toBe(5);
    expect(sampleSd(xs)).toBeCloseTo(Math.sqrt(32 / 7), 12);
    const s = summarize(xs);
    expect(s.n).toBe(8);
    // t(0.975, 7) = 2.3646
    expect(s.halfWidth!).toBeCloseTo((2.364624 * Math.sqrt(32 / 7)) / Math.sqrt(8), 5);
    expect(s.interval![0]).toBeCloseTo(5 - s.halfWidth!, 12);
    expect(s.interval![1]).toBeCloseTo(5 + s.halfWidth!, 12);
    expect(s.values).toEqual(xs);
  });

  it('one value has a mean but no spread or interval; no values or non-finite ones are refused', () => {
    expect(summarize([0.7])).toMatchObject({ n: 1, mean: 0.7, sd: null, halfWidth: null, interval: null });
    expect(() => summarize([])).toThrow(/no values/);
    expect(() => summarize([0.5, Number.NaN])).toThrow(/finite/);
  });

  it('paired differences: interval of the per-seed differences, significant only when it excludes 0', () => {
    const noisy = pairedDifference([0.8, 0.78, 0.82], [0.79, 0.79, 0.8]);
    expect(noisy.values.map((v) => Number(v.toFixed(10)))).toEqual([0.01, -0.01, 0.02]);
    expect(noisy.mean).toBeCloseTo(0.02 / 3, 12);
    expect(noisy.sd!).toBeCloseTo(Math.sqrt(0.00023333333333), 8);
    expect(noisy.halfWidth!).toBeCloseTo((4.302653 * noisy.sd!) / Math.sqrt(3), 6);
    expect(noisy.significant).toBe(false);
    // A constant offset with small spread is significant even though the arms' own intervals overlap.
    const offset = pairedDifference([0.7, 0.8, 0.75], [0.68, 0.77, 0.725]);
    expect(offset.significant).toBe(true);
    expect(summarize([0.7, 0.8, 0.75]).interval![0]).toBeLessThan(summarize([0.68, 0.77, 0.725]).interval![1]);
    expect(pairedDifference([0.7], [0.6]).significant).toBe(false);
    expect(() => pairedDifference([1, 2], [1])).toThrow(/2 values against 1/);
  });
});
