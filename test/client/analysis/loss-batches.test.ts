import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeLossBatches, fixedLossBatches } from '../../../client/analysis/loss-batches.js';
import type { AugmentOptions } from '../../../client/data/augment.js';
import { computeNormalization } from '../../../client/data/normalization.js';
import { generateSynthetic } from '../../../client/data/synthetic.js';
import type { TrainBatch } from '../../../client/ssl/method.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

const set = generateSynthetic({ perClass: 3, imageSize: 8 }).train;
const norm = computeNormalization(set);
const augment: AugmentOptions = { size: 8, cropScale: [0.3, 1], flip: true, jitter: 0.4, jitterProbability: 0.8, blurProbability: 0.5 };

const contents = (batches: TrainBatch[]) => batches.map((b) => [b.view1, b.view2, b.labels as tf.Tensor].map((t) => Array.from(t.dataSync())));

describe('fixedLossBatches', () => {
  it('builds labelled two-view batches deterministically from the seed, and frees them all', async () => {
    const tensors = tf.memory().numTensors;
    const a = await fixedLossBatches(set, norm, { augment, batchSize: 8, batches: 3, seed: 5 });
    const b = await fixedLossBatches(set, norm, { augment, batchSize: 8, batches: 3, seed: 5 });
    const c = await fixedLossBatches(set, norm, { augment, batchSize: 8, batches: 3, seed: 6 });
    expect(a).toHaveLength(3);
    for (const batch of a) {
      expect(batch.view1.shape).toEqual([8, 8, 8, 1]);
      expect(batch.view2.shape).toEqual([8, 8, 8, 1]);
      expect(batch.labels?.dtype).toBe('int32');
      expect(Array.from(batch.labels?.dataSync() ?? []).every((l) => l >= 0 && l < set.numClasses)).toBe(true);
      // Two augmentations of the same images, not one copied.
      expect(Array.from(batch.view1.dataSync())).not.toEqual(Array.from(batch.view2.dataSync()));
    }
    expect(contents(b)).toEqual(contents(a));
    expect(contents(c)).not.toEqual(contents(a));
    // 24 of the 30 images, none twice: the label counts of a seeded draw without repeats.
    const labels = a.flatMap((batch) => Array.from(batch.labels?.dataSync() ?? []));
    const perClass = new Map<number, number>();
    for (const l of labels) perClass.set(l, (perClass.get(l) ?? 0) + 1);
    expect([...perClass.values()].every((n) => n <= 3)).toBe(true);
    for (const batches of [a, b, c]) disposeLossBatches(batches);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('refuses no batches or an empty batch size', async () => {
    await expect(fixedLossBatches(set, norm, { augment, batchSize: 8, batches: 0, seed: 1 })).rejects.toThrow(/batches must be/);
    await expect(fixedLossBatches(set, norm, { augment, batchSize: 0, batches: 1, seed: 1 })).rejects.toThrow(/batchSize must be/);
  });
});
