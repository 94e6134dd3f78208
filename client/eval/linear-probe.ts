/**
 * Linear probe: softmax regression on frozen, standardized features, trained with Adam
 * on mini-batches; reports top-1 accuracy on the test features.
 *
 * The gradient is written out instead of taken by a gradient tape: for the batch mean of
 * softmax cross-entropy it is (softmax(logits) - onehot) / B, and weights and bias are one
 * [dim + 1, classes] matrix over features with a column of ones appended, so a step is one
 * gather, two matrix products, a softmax and one Adam update (tf.train.adam's own). Same
 * loss, same optimizer, same batches as a taped `minimize` over separate weights and
 * bias: the results differ by float rounding only, at a fraction of the per-step ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../shared/random.js';
import { ownedVariable } from '../models/params.js';
import type { FeatureSet } from './features.js';
import { accuracy } from './knn.js';

export interface LinearProbeOptions {
  epochs: number;
  lr: number;
  batchSize: number;
  numClasses: number;
  seed: number;
}

/** Standardized with the training features' statistics, with a column of ones appended (the bias input). */
function standardize(train: FeatureSet, test: FeatureSet): { train: tf.Tensor2D; test: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.tensor2d(train.values, [train.count, train.dim]);
    const { mean, variance } = tf.moments(x, 0, true);
    const scale = tf.rsqrt(tf.add(variance, 1e-6));
    const t = tf.tensor2d(test.values, [test.count, test.dim]);
    const withOnes = (z: tf.Tensor2D) => tf.concat([z, tf.ones([z.shape[0], 1])], 1) as tf.Tensor2D;
    return { train: withOnes(tf.mul(tf.sub(x, mean), scale) as tf.Tensor2D), test: withOnes(tf.mul(tf.sub(t, mean), scale) as tf.Tensor2D) };
  });
}

/** Top-1 accuracy of the probe on `test`. */
export function linearProbeTop1(train: FeatureSet, test: FeatureSet, o: LinearProbeOptions): number {
  return accuracy(linearProbePredict(train, test, o), test.labels);
}

/** The classes a probe trained on `train` predicts for each row of `test`. */
export function linearProbePredict(train: FeatureSet, test: FeatureSet, o: LinearProbeOptions): Uint8Array {
  const { train: x, test: xt } = standardize(train, test);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(train.labels, 'int32'), o.numClasses), 'float32'));
  // Rows 0..dim-1 the weights, row dim the bias.
  const wb = ownedVariable(() => tf.zeros([train.dim + 1, o.numClasses]), true);
  const optimizer = tf.train.adam(o.lr);
  const rng = new Random(o.seed);
  const order = Array.from({ length: train.count }, (_, i) => i);
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      rng.shuffle(order);
      for (let start = 0; start < train.count; start += o.batchSize) {
        const rows = order.slice(start, start + o.batchSize);
        tf.tidy(() => {
          const idx = tf.tensor1d(rows, 'int32');
          const xb = tf.gather(x, idx);
          const dLogits = tf.div(tf.sub(tf.softmax(tf.matMul(xb, wb)), tf.gather(y, idx)), rows.length);
          optimizer.applyGradients({ [wb.name]: tf.matMul(xb, dLogits, true, false) });
        });
      }
    }
    const predicted = tf.tidy(() => tf.argMax(tf.matMul(xt, wb), 1));
    const p = Uint8Array.from(predicted.dataSync());
    predicted.dispose();
    return p;
  } finally {
    tf.dispose([x, xt, y, wb]);
    optimizer.dispose();
  }
}
