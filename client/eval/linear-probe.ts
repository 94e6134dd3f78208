/**
 * Linear probe: softmax regression on frozen, standardized features, trained with Adam
 * on mini-batches; reports top-1 accuracy on the test features.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../shared/random.js';
import type { FeatureSet } from './features.js';
import { accuracy } from './knn.js';

export interface LinearProbeOptions {
  epochs: number;
  lr: number;
  batchSize: number;
  numClasses: number;
  seed: number;
}

function standardize(train: FeatureSet, test: FeatureSet): { train: tf.Tensor2D; test: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.tensor2d(train.values, [train.count, train.dim]);
    const { mean, variance } = tf.moments(x, 0, true);
    const scale = tf.rsqrt(tf.add(variance, 1e-6));
    const t = tf.tensor2d(test.values, [test.count, test.dim]);
    return { train: tf.mul(tf.sub(x, mean), scale) as tf.Tensor2D, test: tf.mul(tf.sub(t, mean), scale) as tf.Tensor2D };
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
  const w = tf.variable(tf.zeros([train.dim, o.numClasses]));
  const b = tf.variable(tf.zeros([o.numClasses]));
  const optimizer = tf.train.adam(o.lr);
  const rng = new Random(o.seed);
  const order = Array.from({ length: train.count }, (_, i) => i);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    rng.shuffle(order);
    for (let start = 0; start < train.count; start += o.batchSize) {
      const idx = tf.tensor1d(order.slice(start, start + o.batchSize), 'int32');
      const cost = optimizer.minimize(() => {
        const logits = tf.add(tf.matMul(tf.gather(x, idx), w), b);
        return tf.losses.softmaxCrossEntropy(tf.gather(y, idx), logits) as tf.Scalar;
      }, true, [w, b]);
      tf.dispose([idx, cost!]);
    }
  }
  const predicted = tf.tidy(() => tf.argMax(tf.add(tf.matMul(xt, w), b), 1));
  const p = Uint8Array.from(predicted.dataSync());
  tf.dispose([x, xt, y, w, b, predicted]);
  optimizer.dispose();
  return p;
}
