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

  it('read rows as visits when told which chunk each stage trained (a cyclic relay)', () => {
    // Two cycles over chunks 0 and 1 in the order 1, 0 | 1, 0.
    const a = [
      [0.3, 0.6],
      [0.7, 0.5],
      [0.4, 0.9],
      [0.8, 0.6],
    ];
    const m = forgettingMetrics(a, [0.1, 0.2], [1, 0, 1, 0]);
    expect(m.averageAccuracy).toBeCloseTo(0.7, 9);
    // Chunk 1 (not trained last): best earlier 0.9, final 0.6; its last visit before the end is stage 2.
    expect(m.averageForgetting).toBeCloseTo(0.3, 9);
    expect(m.backwardTransfer).toBeCloseTo(-0.3, 9);
    // Chunk 0 is first trained at stage 1: 0.3 after stage 0 against 0.1 at random init; chunk 1 at stage 0 has none.
    expect(m.forwardTransfer).toBeCloseTo(0.2, 9);
    // A one-pass order given explicitly reads as the square matrix.
    const square = [
      [0.9, 0.2],
      [0.5, 0.8],
    ];
    expect(forgettingMetrics(square, [0.1, 0.1], [0, 1])).toEqual(forgettingMetrics(square, [0.1, 0.1]));
  });

  it('refuse stages of unknown chunks and chunks no stage trained', () => {
    expect(() => forgettingMetrics([[0.5, 0.5], [0.5, 0.5]], undefined, [0, 2])).toThrow(/stage 1 trained chunk 2/);
    expect(() => forgettingMetrics([[0.5, 0.5], [0.5, 0.5]], undefined, [0, 0])).toThrow(/no stage trained chunk 1/);
  });

  it('reject a matrix that is not one row per stage and one column per chunk', () => {
    expect(() => forgettingMetrics([[0.5, 0.5]])).toThrow(/one row per stage/);
  });
});
