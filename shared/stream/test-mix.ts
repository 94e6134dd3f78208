/**
 * The test samples a Dirichlet chunk is scored on: a seeded subsample of the test set in
 * the chunk's own class proportions, so a chunk that is 90% sandals is scored 90% on sandals.
 */
import { shuffledIndices } from '../random.js';
import { apportion, pickByClassQuota } from './apportion.js';

/**
 * Indices into `testLabels` (ascending) whose class shares follow `classCounts` (a
 * chunk's training samples per class), as many as the test set allows: the class that
 * runs out first bounds the size. Classes missing from the test set are left out and the
 * others' shares renormalized; empty when none of the chunk's classes is there.
 */
export function testSamplesWithMix(testLabels: Uint8Array, classCounts: readonly number[], seed: number): Uint32Array {
  const available = new Array<number>(classCounts.length).fill(0);
  for (const l of testLabels) if (l < available.length) available[l]++;
  const weights = classCounts.map((n, c) => (available[c] > 0 ? n : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return new Uint32Array(0);
  let size = Infinity;
  weights.forEach((w, c) => {
    if (w > 0) size = Math.min(size, Math.floor((available[c] * total) / w));
  });
  return pickByClassQuota(testLabels, apportion(weights, size), shuffledIndices(testLabels.length, seed));
}
