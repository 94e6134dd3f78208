import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lossAt, meanLoss } from '../../../client/analysis/weight-probe.js';
import { disposeTrainBatch } from '../../../client/engine/batches.js';
import type { TrainBatch } from '../../../client/ssl/method.js';
import { Random } from '../../../shared/random.js';
import { useWasm } from '../../support/backend.js';
import { methodBits } from '../../support/state-bits.js';
import { labeledBatch, tinyMethod } from '../../support/tiny-methods.js';

let batches: TrainBatch[] = [];

beforeAll(async () => {
  await useWasm();
  batches = [labeledBatch(21), labeledBatch(23)];
});

afterAll(() => batches.forEach(disposeTrainBatch));

describe('meanLoss', () => {
  it('averages evaluateLoss over the batches with one fresh Random(seed) per call', () => {
    const method = tinyMethod('SimCLR').create(1);
    const rng = new Random(4);
    const expected = (method.evaluateLoss(batches[0], rng) + method.evaluateLoss(batches[1], rng)) / 2;
    expect(meanLoss(method, batches, 4)).toBe(expected);
    expect(meanLoss(method, batches, 4)).toBe(expected);
    // SimCLR's loss depends on its shuffle, so another seed reads another number.
    expect(meanLoss(method, batches, 5)).not.toBe(expected);
    expect(() => meanLoss(method, [], 4)).toThrow(/no batches/);
    method.dispose();
  });
});

describe('lossAt', () => {
  it('evaluates at the given weights and puts the own ones back bit for bit, leaking nothing', async () => {
    const method = tinyMethod('MoCo v2').create(2);
    const before = await methodBits(method);
    const own = meanLoss(method, batches, 3);
    const tensors = tf.memory().numTensors;
    const same = lossAt(method, batches, 3, (_name, w) => tf.clone(w));
    // Negated, not scaled: the embeddings are normalized, and a ReLU head with zero biases
    // maps 3w to the same unit rows as w.
    const scaled = lossAt(method, batches, 3, (name, w) => (name === 'head.fc1.w' ? tf.neg(w) : w));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(same).toBe(own);
    expect(scaled).not.toBe(own);
    expect(await methodBits(method)).toEqual(before);
    method.dispose();
  });

  it('restores the weights when building a point or evaluating it throws', async () => {
    const method = tinyMethod('supervised').create(3);
    const before = await methodBits(method);
    const tensors = tf.memory().numTensors;
    let seen = 0;
    const failing = (_name: string, w: tf.Tensor) => {
      if (++seen === 3) throw new Error('no such point');
      return tf.add(w, 1);
    };
    expect(() => lossAt(method, batches, 1, failing)).toThrow(/no such point/);
    const { view1, view2 } = batches[0];
    expect(() => lossAt(method, [{ view1, view2 }], 1, (_name, w) => tf.add(w, 1))).toThrow(/needs labels/);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await methodBits(method)).toEqual(before);
    method.dispose();
  });
});
