/**
 * Weighted kNN classification on frozen features (Wu et al. 2018, as used to monitor
 * SSL training): cosine similarity to a labeled bank, the k nearest vote with weight
 * exp(similarity / T).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FeatureSet } from './features.js';

export interface KnnOptions {
  k: number;
  temperature: number;
  numClasses: number;
}

function normalizedRows(f: FeatureSet): tf.Tensor2D {
  return tf.tidy(() => {
    const x = tf.tensor2d(f.values, [f.count, f.dim]);
    return tf.div(x, tf.add(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
  });
}

/**
 * The class weighted kNN over `bank` predicts for each row of `test`: per chunk of test
 * rows, one matrix product against the bank, top-k, and the weighted vote as tensor ops
 * (only the predicted classes are read back). Chunks of 128 rows: 512 rows' similarities
 * to a 10,000-image bank (20 MB, and their top-k's copies) grew the wasm heap past a
 * training step's peak, and wasm memory never shrinks; each row's result is the same.
 */
export function knnPredict(bank: FeatureSet, test: FeatureSet, o: KnnOptions, chunk = 128): Uint8Array {
  const k = Math.min(o.k, bank.count);
  const bankRows = normalizedRows(bank);
  const testRows = normalizedRows(test);
  const bankLabels = tf.tensor1d(bank.labels, 'int32');
  const predicted = new Uint8Array(test.count);
  try {
    for (let start = 0; start < test.count; start += chunk) {
      const size = Math.min(chunk, test.count - start);
      const classes = tf.tidy(() => {
        const { values, indices } = tf.topk(tf.matMul(tf.slice(testRows, [start, 0], [size, -1]), bankRows, false, true), k);
        const weights = tf.exp(tf.div(values, o.temperature)); // [size, k]
        const neighbours = tf.oneHot(tf.gather(bankLabels, indices), o.numClasses, 1, 0, 'float32'); // [size, k, classes]
        const votes = tf.matMul(tf.expandDims(weights, 1), neighbours); // [size, 1, classes]
        return tf.argMax(tf.reshape(votes, [size, o.numClasses]), 1);
      });
      predicted.set(classes.dataSync(), start);
      classes.dispose();
    }
  } finally {
    tf.dispose([bankRows, testRows, bankLabels]);
  }
  return predicted;
}

/** Top-1 accuracy of `test` classified by weighted kNN over `bank`, a fraction in [0, 1]. */
export function knnTop1(bank: FeatureSet, test: FeatureSet, o: KnnOptions): number {
  return accuracy(knnPredict(bank, test, o), test.labels);
}

/** Fraction of `predicted` equal to `labels`, over the samples `keep` accepts (all by default). */
export function accuracy(predicted: Uint8Array, labels: Uint8Array, keep: (label: number, index: number) => boolean = () => true): number {
  let correct = 0;
  let total = 0;
  for (let i = 0; i < predicted.length; i++) {
    if (!keep(labels[i], i)) continue;
    total++;
    if (predicted[i] === labels[i]) correct++;
  }
  return total === 0 ? 0 : correct / total;
}
