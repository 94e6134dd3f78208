import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sgd } from '../../../client/optim/sgd.js';
import { crossEntropy, Supervised } from '../../../client/ssl/supervised.js';
import { Random } from '../../../shared/random.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

const encoder = { backbone: { inputChannels: 1, widths: [4, 8], blocksPerStage: 1, stemStride: 1 as const }, hiddenDim: 8, outputDim: 4, numClasses: 3, init: 'he-fan-out' as const };

describe('supervised baseline', () => {
  it('cross-entropy matches a direct computation', () => {
    const logits = tf.tensor2d([[1, 2, 0.5], [0.1, -1, 3]]);
    const labels = tf.tensor1d([1, 2], 'int32');
    const direct = [[1, 2, 0.5, 1], [0.1, -1, 3, 2]].map(([a, b, c, y]) => {
      const row = [a, b, c];
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      return lse - row[y];
    });
    expect(crossEntropy(logits, labels).dataSync()[0]).toBeCloseTo((direct[0] + direct[1]) / 2, 5);
  });

  it('learns the labels of a fixed batch', () => {
    const method = new Supervised({ encoder, numClasses: 3, bnGroups: 1 }, 1);
    const optimizer = new Sgd({ momentum: 0.9, weightDecay: 0 });
    const view1 = tf.randomNormal([12, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const labels = tf.tensor1d(Array.from({ length: 12 }, (_, i) => i % 3), 'int32');
    const losses = Array.from({ length: 30 }, () => method.step({ view1, view2: view1, labels }, optimizer, 0.05, new Random(1)));
    expect(losses[29]).toBeLessThan(losses[0] * 0.5);
    method.dispose();
    optimizer.dispose();
  });

  it('refuses a batch without labels', () => {
    const method = new Supervised({ encoder, numClasses: 3, bnGroups: 1 }, 1);
    const optimizer = new Sgd({ momentum: 0.9, weightDecay: 0 });
    const view1 = tf.zeros([2, 8, 8, 1]) as tf.Tensor4D;
    expect(() => method.step({ view1, view2: view1 }, optimizer, 0.05, new Random(1))).toThrow(/needs labels/);
    method.dispose();
    optimizer.dispose();
  });
});
