/** The test samples a Dirichlet chunk is scored on follow its class mix. */
import { describe, expect, it } from 'vitest';
import { splitStream, testSamplesWithMix } from '../../../shared/stream/index.js';
import { makeLabels } from './helpers.js';

/** Samples per class among `picked`. */
function histogram(labels: Uint8Array, picked: Uint32Array, classes: number): number[] {
  const h = new Array<number>(classes).fill(0);
  for (const i of picked) h[labels[i]]++;
  return h;
}

describe('test samples with a chunk’s class mix', () => {
  const test = makeLabels(10, 100, 5);

  it('takes the largest subsample the test set allows in the chunk’s proportions', () => {
    // 100 test samples per class: class 2 (half the chunk) runs out first, at 200 samples.
    const picked = testSamplesWithMix(test, [0, 0, 50, 0, 25, 0, 0, 0, 0, 25], 1);
    expect(histogram(test, picked, 10)).toEqual([0, 0, 100, 0, 50, 0, 0, 0, 0, 50]);
    expect(histogram(test, testSamplesWithMix(test, [0, 0, 60, 0, 30, 0, 0, 0, 0, 10], 1), 10).reduce((a, b) => a + b)).toBe(166);
    for (let k = 1; k < picked.length; k++) expect(picked[k]).toBeGreaterThan(picked[k - 1]);
  });

  it('follows each chunk of a Dirichlet stream within one sample per class, seeded', () => {
    const train = makeLabels(10, 300);
    const plan = splitStream({ type: 'dirichlet', chunks: 6, alpha: 0.3 }, train, 10, 4);
    for (const chunk of plan.chunks) {
      const counts = chunk.classCounts!;
      const picked = testSamplesWithMix(test, counts, chunk.id);
      const h = histogram(test, picked, 10);
      const total = counts.reduce((a, b) => a + b, 0);
      h.forEach((n, c) => expect(Math.abs(n - (counts[c] * picked.length) / total)).toBeLessThan(1));
      // The dominant class runs out first: all of its test samples are used.
      expect(Math.max(...h)).toBe(100);
      expect(Array.from(testSamplesWithMix(test, counts, chunk.id))).toEqual(Array.from(picked));
    }
    const counts = plan.chunks[0].classCounts!;
    expect(Array.from(testSamplesWithMix(test, counts, 1))).not.toEqual(Array.from(testSamplesWithMix(test, counts, 2)));
  });

  it('leaves out classes the test set lacks and is empty when it has none of the chunk’s', () => {
    const partial = Uint8Array.from([0, 0, 1, 1, 1, 1]);
    expect(histogram(partial, testSamplesWithMix(partial, [1, 1, 5], 0), 3)).toEqual([2, 2, 0]);
    expect(testSamplesWithMix(partial, [0, 0, 5], 0)).toHaveLength(0);
  });
});
