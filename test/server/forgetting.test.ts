import { describe, expect, it } from 'vitest';
import { forgettingMetrics } from '../../server/report/forgetting.js';

describe('forgetting metrics', () => {
  it('are zero for a learner that never forgets and learns nothing ahead', () => {
    const m = forgettingMetrics([
      [0.9, 0.1, 0.1],
      [0.9, 0.8, 0.1],
      [0.9, 0.8, 0.7],
    ], [0.1, 0.1, 0.1]);
    expect(m.averageForgetting).toBeCloseTo(0, 9);
    expect(m.backwardTransfer).toBeCloseTo(0, 9);
    expect(m.forwardTransfer).toBeCloseTo(0, 9);
    expect(m.averageAccuracy).toBeCloseTo(0.8, 9);
  });

  it('measure what was lost since the best earlier accuracy', () => {
    const m = forgettingMetrics([
      [0.9, 0.2],
      [0.5, 0.8],
    ], [0.1, 0.1]);
    expect(m.averageForgetting).toBeCloseTo(0.4, 9);
    expect(m.backwardTransfer).toBeCloseTo(-0.4, 9);
    expect(m.forwardTransfer).toBeCloseTo(0.1, 9);
  });

  it('reject a matrix that is not one row per stage and one column per chunk', () => {
    expect(() => forgettingMetrics([[0.5, 0.5]])).toThrow(/one row per stage/);
  });
});
