/** Test helpers for stream plans. */
import { expect } from 'vitest';
import { shuffledIndices } from '../../../shared/random.js';
import type { StreamPlan } from '../../../shared/stream/index.js';

/** `perClass` samples of each of `classes` classes, in a shuffled order. */
export function makeLabels(classes: number, perClass: number, seed = 99): Uint8Array {
  const order = shuffledIndices(classes * perClass, seed);
  return Uint8Array.from(order, (i) => i % classes);
}

/** Every sample in exactly one chunk, indices ascending, classes matching the labels. */
export function expectPartition(plan: StreamPlan, labels: Uint8Array): void {
  const owner = new Int32Array(labels.length).fill(-1);
  plan.chunks.forEach((chunk, k) => {
    expect(chunk.id).toBe(k);
    expect(chunk.indices.length).toBeGreaterThan(0);
    for (let j = 0; j < chunk.indices.length; j++) {
      const i = chunk.indices[j];
      if (j > 0) expect(i).toBeGreaterThan(chunk.indices[j - 1]);
      expect(owner[i]).toBe(-1);
      owner[i] = chunk.id;
    }
    expect(chunk.classes).toEqual([...new Set(Array.from(chunk.indices, (i) => labels[i]))].sort((a, b) => a - b));
  });
  expect(owner.every((o) => o >= 0)).toBe(true);
}

/** A plan as plain arrays, for equality checks. */
export function planKey(plan: StreamPlan): string {
  return JSON.stringify(plan.chunks.map((c) => [Array.from(c.indices), c.classes, c.style]));
}
