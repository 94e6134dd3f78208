import { describe, expect, it } from 'vitest';
import { forgettingSection, lineSummary } from '../../server/report/report-analysis.js';
import type { Results } from '../../server/report/results.js';

describe('lineSummary', () => {
  const line = (losses: number[]) => losses.map((loss, i) => ({ alpha: -0.25 + i * 0.25, loss }));

  it('reads the loss at both models and the barrier above the higher one', () => {
    // alphas -0.25, 0, 0.25, 0.5, 0.75, 1, 1.25
    expect(lineSummary(line([9, 4, 4.5, 5.5, 4.2, 3, 9]))).toEqual([4, 3, 1.5]);
  });

  it('gives no barrier when the line never rises above its ends, whatever lies beyond them', () => {
    expect(lineSummary(line([1, 5, 4.5, 4, 3.5, 3, 1]))).toEqual([5, 3, 0]);
  });
});

describe('forgettingSection', () => {
  it('lists every relay arm with forgetting, both probes, in points', () => {
    const f = { averageAccuracy: 0.8, averageForgetting: 0.012, backwardTransfer: -0.004, forwardTransfer: 0.03 };
    const results = { arms: [{ name: 'relay', strategy: 'replay', forgetting: { linear: f, knn: { ...f, forwardTransfer: undefined } } }, { name: 'joint' }] } as unknown as Results;
    const lines = forgettingSection(results);
    expect(lines).toContain('| relay | replay | linear | 80.0% | +1.2 pt | -0.4 pt | +3.0 pt |');
    expect(lines).toContain('| relay | replay | kNN | 80.0% | +1.2 pt | -0.4 pt | – |');
    expect(forgettingSection({ arms: [{ name: 'joint' }] } as unknown as Results)).toEqual([]);
  });
});
