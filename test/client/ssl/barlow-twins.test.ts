import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BarlowTwins } from '../../../client/ssl/barlow-twins.js';
import { barlowTwinsLoss, crossCorrelation } from '../../../client/ssl/losses.js';
import { useWasm } from '../../support/backend.js';
import { methodContract, tinyEncoder } from './method-contract.js';

beforeAll(useWasm);

/** Barlow Twins with loops: standardize each feature over the batch, correlate, sum. */
function directBarlow(z1: number[][], z2: number[][], lambda: number): number {
  const n = z1.length;
  const d = z1[0].length;
  const standardize = (z: number[][]) => {
    const out = z.map((r) => r.slice());
    for (let j = 0; j < d; j++) {
      const mean = z.reduce((s, r) => s + r[j], 0) / n;
      const variance = z.reduce((s, r) => s + (r[j] - mean) ** 2, 0) / n;
      for (let b = 0; b < n; b++) out[b][j] = (z[b][j] - mean) / Math.sqrt(variance + 1e-5);
    }
    return out;
  };
  const [a, b] = [standardize(z1), standardize(z2)];
  let loss = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let c = 0;
      for (let k = 0; k < n; k++) c += a[k][i] * b[k][j];
      c /= n;
      loss += i === j ? (1 - c) ** 2 : lambda * c * c;
    }
  }
  return loss;
}

describe('barlowTwinsLoss', () => {
  const z1 = () => tf.randomNormal([12, 5], 0, 2, 'float32', 1) as tf.Tensor2D;
  const z2 = () => tf.add(z1(), tf.randomNormal([12, 5], 1, 1, 'float32', 2)) as tf.Tensor2D;

  it('matches a direct computation', () => {
    for (const lambda of [0.0051, 0.3]) {
      const loss = barlowTwinsLoss(z1(), z2(), lambda).dataSync()[0];
      expect(loss).toBeCloseTo(directBarlow(z1().arraySync(), z2().arraySync(), lambda), 3);
    }
  });

  it('with lambda = 1 is the squared Frobenius distance of the cross-correlation to the identity', () => {
    const c = crossCorrelation(z1(), z2());
    const frobenius = tf.sum(tf.square(tf.sub(c, tf.eye(5)))).dataSync()[0];
    expect(barlowTwinsLoss(z1(), z2(), 1).dataSync()[0]).toBeCloseTo(frobenius, 4);
  });

  it('gives identical views a unit diagonal', () => {
    const c = crossCorrelation(z1(), z1());
    const diagonal = tf.sum(tf.mul(c, tf.eye(5)), 1).dataSync();
    diagonal.forEach((v) => expect(v).toBeCloseTo(1, 4));
  });

  it('falls under gradient steps on a fixed batch', () => {
    const w = tf.variable(tf.randomNormal([10, 6], 0, 0.3, 'float32', 3));
    const x1 = tf.randomNormal([32, 10], 0, 1, 'float32', 4);
    const x2 = tf.add(x1, tf.randomNormal([32, 10], 0, 0.5, 'float32', 5));
    const lossOf = () => barlowTwinsLoss(tf.matMul(x1, w), tf.matMul(x2, w), 0.05);
    const before = lossOf().dataSync()[0];
    const optimizer = tf.train.sgd(0.05);
    for (let i = 0; i < 50; i++) optimizer.minimize(() => lossOf(), false, [w]);
    expect(lossOf().dataSync()[0]).toBeLessThan(before * 0.5);
  });
});

methodContract('Barlow Twins', {
  create: (seed, encoder = tinyEncoder) => new BarlowTwins({ encoder, lambda: 0.0051, bnGroups: 2 }, seed),
  parts: ['online'],
  fixedBatch: { steps: 20, floor: 0, progress: 0.3 },
});
