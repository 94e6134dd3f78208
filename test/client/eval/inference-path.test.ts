/**
 * The evaluation's fast paths against the ones they replaced (kept here as references):
 * features with batch norm folded into the convolutions against the evaluation-mode
 * forward pass, the linear probe with its gradient written out against a taped
 * `minimize` over separate weights and bias, and the kNN vote in tensor ops against a
 * per-sample vote in JavaScript.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeNormalization } from '../../../client/data/normalization.js';
import { generateSynthetic } from '../../../client/data/synthetic.js';
import { toInputBatch } from '../../../client/engine/batches.js';
import { extractFeatures, type FeatureSet } from '../../../client/eval/features.js';
import { accuracy, knnPredict } from '../../../client/eval/knn.js';
import { linearProbePredict, type LinearProbeOptions } from '../../../client/eval/linear-probe.js';
import { createParams, disposeParams, type Params } from '../../../client/models/params.js';
import { backboneDecls, backboneForward, type BackboneOptions } from '../../../client/models/resnet.js';
import { Random } from '../../../shared/random.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

/** The linear probe as it was: tf.train.adam minimizing softmax cross-entropy through a gradient tape. */
function tapedProbePredict(train: FeatureSet, test: FeatureSet, o: LinearProbeOptions): Uint8Array {
  const { x, xt } = tf.tidy(() => {
    const raw = tf.tensor2d(train.values, [train.count, train.dim]);
    const { mean, variance } = tf.moments(raw, 0, true);
    const scale = tf.rsqrt(tf.add(variance, 1e-6));
    const t = tf.tensor2d(test.values, [test.count, test.dim]);
    return { x: tf.mul(tf.sub(raw, mean), scale) as tf.Tensor2D, xt: tf.mul(tf.sub(t, mean), scale) as tf.Tensor2D };
  });
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(train.labels, 'int32'), o.numClasses), 'float32'));
  const w = tf.tidy(() => tf.variable(tf.zeros([train.dim, o.numClasses])));
  const b = tf.tidy(() => tf.variable(tf.zeros([o.numClasses])));
  const optimizer = tf.train.adam(o.lr);
  const rng = new Random(o.seed);
  const order = Array.from({ length: train.count }, (_, i) => i);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    rng.shuffle(order);
    for (let start = 0; start < train.count; start += o.batchSize) {
      const idx = tf.tensor1d(order.slice(start, start + o.batchSize), 'int32');
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.gather(y, idx), tf.add(tf.matMul(tf.gather(x, idx), w), b)) as tf.Scalar, true, [w, b]);
      tf.dispose([idx, cost!]);
    }
  }
  const predicted = tf.tidy(() => tf.argMax(tf.add(tf.matMul(xt, w), b), 1));
  const p = Uint8Array.from(predicted.dataSync());
  tf.dispose([x, xt, y, w, b, predicted]);
  optimizer.dispose();
  return p;
}

/** The kNN as it was: top-k in tensors, then each test row's weighted vote counted in JavaScript. */
function jsVoteKnnPredict(bank: FeatureSet, test: FeatureSet, o: { k: number; temperature: number; numClasses: number }): Uint8Array {
  const rows = (f: FeatureSet) => tf.tidy(() => {
    const x = tf.tensor2d(f.values, [f.count, f.dim]);
    return tf.div(x, tf.add(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
  });
  const [b, t] = [rows(bank), rows(test)];
  const { values, indices } = tf.tidy(() => tf.topk(tf.matMul(t, b, false, true), o.k));
  const sims = values.dataSync();
  const idx = indices.dataSync();
  tf.dispose([b, t, values, indices]);
  const predicted = new Uint8Array(test.count);
  const votes = new Float64Array(o.numClasses);
  for (let i = 0; i < test.count; i++) {
    votes.fill(0);
    for (let j = 0; j < o.k; j++) votes[bank.labels[idx[i * o.k + j]]] += Math.exp(sims[i * o.k + j] / o.temperature);
    let best = 0;
    for (let c = 1; c < o.numClasses; c++) if (votes[c] > votes[best]) best = c;
    predicted[i] = best;
  }
  return predicted;
}

/** Features clustered around one direction per class, noisy enough that classes overlap. */
function clustered(count: number, dim: number, classes: number, noise: number, seed: number): FeatureSet {
  const rng = new Random(seed);
  const values = new Float32Array(count * dim);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % classes;
    for (let d = 0; d < dim; d++) values[i * dim + d] = (d % classes === labels[i] ? 1 : 0) + noise * rng.normal();
  }
  return { values, labels, count, dim };
}

describe('linear probe with the gradient written out', () => {
  it('predicts what the taped probe predicts, and leaves no tensor behind', () => {
    const train = clustered(600, 24, 5, 2, 1);
    const test = clustered(300, 24, 5, 2, 2);
    const o = { epochs: 6, lr: 0.01, batchSize: 64, numClasses: 5, seed: 7 };
    const reference = tapedProbePredict(train, test, o);
    const before = tf.memory().numTensors;
    const fast = linearProbePredict(train, test, o);
    expect(tf.memory().numTensors).toBe(before);
    // Classes overlap (accuracy well below 1), so a wrong gradient or batch order would show.
    const acc = accuracy(reference, test.labels);
    expect(acc).toBeGreaterThan(0.3);
    expect(acc).toBeLessThan(0.95);
    expect(fast).toEqual(reference);
  });
});

describe('kNN with the vote in tensor ops', () => {
  it('predicts what the per-sample vote predicts, over several chunks, and leaves no tensor behind', () => {
    const bank = clustered(700, 16, 7, 1.5, 3);
    const test = clustered(300, 16, 7, 1.5, 4);
    const o = { k: 9, temperature: 0.07, numClasses: 7 };
    const reference = jsVoteKnnPredict(bank, test, o);
    const before = tf.memory().numTensors;
    const fast = knnPredict(bank, test, o, 128);
    expect(tf.memory().numTensors).toBe(before);
    const acc = accuracy(reference, test.labels);
    expect(acc).toBeGreaterThan(0.3);
    expect(acc).toBeLessThan(0.95);
    expect(fast).toEqual(reference);
  });
});

describe('features with batch norm folded into the convolutions', () => {
  const data = generateSynthetic({ perClass: 12, imageSize: 12 });
  const norm = computeNormalization(data.train);
  const backbone: BackboneOptions = { inputChannels: 1, widths: [6, 8, 10], blocksPerStage: 1, stemStride: 1 };
  let p: Params;
  beforeAll(() => {
    p = createParams(backboneDecls(backbone), 3, 'he-fan-out');
    // Running statistics and affine parameters away from their initial 0 / 1, as after training.
    let seed = 10;
    for (const [name, v] of [...p.trainable, ...p.buffers]) {
      if (/\.(mean|beta)$/.test(name)) v.assign(tf.randomUniform(v.shape, -0.5, 0.5, 'float32', seed++));
      if (/\.(var|gamma)$/.test(name)) v.assign(tf.randomUniform(v.shape, 0.5, 2, 'float32', seed++));
    }
  });
  afterAll(() => disposeParams(p));

  /** The features as evaluation extracted them before: the evaluation-mode forward pass. */
  function unfolded(set: typeof data.train): FeatureSet {
    const indices = Array.from({ length: set.count }, (_, i) => i);
    const out = tf.tidy(() => backboneForward(p, backbone, toInputBatch(set, indices, norm), { training: false, bnGroups: 1 }));
    const values = out.dataSync() as Float32Array;
    out.dispose();
    return { values, labels: set.labels, count: set.count, dim: 10 };
  }

  it('equal the evaluation-mode forward pass up to float rounding, with the same kNN and probe accuracies', () => {
    const before = tf.memory().numTensors;
    const bank = extractFeatures(p, backbone, data.train, norm, 16);
    const test = extractFeatures(p, backbone, data.test, norm, 16);
    expect(tf.memory().numTensors).toBe(before);
    const oldBank = unfolded(data.train);
    const oldTest = unfolded(data.test);
    const scale = Math.max(...oldBank.values.map(Math.abs));
    expect(scale).toBeGreaterThan(0.1);
    for (let i = 0; i < bank.values.length; i++) expect(Math.abs(bank.values[i] - oldBank.values[i])).toBeLessThan(1e-4 * scale);
    const knn = { k: 5, temperature: 0.1, numClasses: 10 };
    expect(accuracy(knnPredict(bank, test, knn), test.labels)).toBe(accuracy(knnPredict(oldBank, oldTest, knn), oldTest.labels));
    const probe = { epochs: 5, lr: 0.01, batchSize: 32, numClasses: 10, seed: 1 };
    expect(accuracy(linearProbePredict(bank, test, probe), test.labels)).toBe(accuracy(tapedProbePredict(oldBank, oldTest, probe), oldTest.labels));
  });
});
