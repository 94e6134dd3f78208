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

/** The class weighted kNN over `bank` predicts for each row of `test`. */
export function knnPredict(bank: FeatureSet, test: FeatureSet, o: KnnOptions, chunk = 512): Uint8Array {
  const k = Math.min(o.k, bank.count);
  const bankRows = normalizedRows(bank);
  const testRows = normalizedRows(test);
  const predicted = new Uint8Array(test.count);
  for (let start = 0; start < test.count; start += chunk) {
    const size = Math.min(chunk, test.count - start);
    const { values, indices } = tf.tidy(() => tf.topk(tf.matMul(tf.slice(testRows, [start, 0], [size, -1]), bankRows, false, true), k));
    const sims = values.dataSync();
    const idx = indices.dataSync();
    tf.dispose([values, indices]);
    const votes = new Float64Array(o.numClasses);
    for (let i = 0; i < size; i++) {
      votes.fill(0);
      for (let j = 0; j < k; j++) votes[bank.labels[idx[i * k + j]]] += Math.exp(sims[i * k + j] / o.temperature);
      let best = 0;
      for (let c = 1; c < o.numClasses; c++) if (votes[c] > votes[best]) best = c;
      predicted[start + i] = best;
    }
  }
  tf.dispose([bankRows, testRows]);
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
