import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { stopGradient } from '../../../client/ssl/gradient-step.js';
import { negativeCosine } from '../../../client/ssl/losses.js';
import { SimSiam } from '../../../client/ssl/simsiam.js';
import { useWasm } from '../../support/backend.js';
import { methodContract, tinyEncoder } from './method-contract.js';

beforeAll(useWasm);

describe('negativeCosine', () => {
  it('matches a direct computation', () => {
    const p = tf.randomNormal([5, 6], 0, 1, 'float32', 1) as tf.Tensor2D;
    const z = tf.randomNormal([5, 6], 0, 1, 'float32', 2) as tf.Tensor2D;
    const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    const rows = z.arraySync();
    const direct = -p.arraySync().reduce((s, pi, i) => s + pi.reduce((d, v, j) => d + v * rows[i][j], 0) / (norm(pi) * norm(rows[i])), 0) / 5;
    expect(negativeCosine(p, z).dataSync()[0]).toBeCloseTo(direct, 5);
    expect(negativeCosine(p, p).dataSync()[0]).toBeCloseTo(-1, 5);
  });

  it('stops the gradient through z, not through p', () => {
    const p = tf.randomNormal([4, 3], 0, 1, 'float32', 3) as tf.Tensor2D;
    const z = tf.randomNormal([4, 3], 0, 1, 'float32', 4) as tf.Tensor2D;
    expect(negativeCosine(p, stopGradient(z)).dataSync()[0]).toBeCloseTo(negativeCosine(p, z).dataSync()[0], 6);
    const [dp, dz] = tf.grads((a: tf.Tensor, b: tf.Tensor) => negativeCosine(a as tf.Tensor2D, stopGradient(b as tf.Tensor2D)))([p, z]);
    expect(Array.from(dz.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(dp.dataSync()).some((v) => Math.abs(v) > 1e-4)).toBe(true);
  });

  it('falls under gradient steps on a fixed batch', () => {
    const w = tf.variable(tf.randomNormal([10, 8], 0, 0.3, 'float32', 5));
    const x = tf.randomNormal([16, 10], 0, 1, 'float32', 6);
    const target = tf.randomNormal([16, 8], 0, 1, 'float32', 7) as tf.Tensor2D;
    const lossOf = () => negativeCosine(tf.matMul(x, w), target);
    const before = lossOf().dataSync()[0];
    const optimizer = tf.train.sgd(0.5);
    for (let i = 0; i < 50; i++) optimizer.minimize(() => lossOf(), false, [w]);
    expect(lossOf().dataSync()[0]).toBeLessThan(before - 0.3);
  });
});

methodContract('SimSiam', {
  create: (seed, encoder = tinyEncoder) => new SimSiam({ encoder, predictorHidden: 4, bnGroups: 2 }, seed),
  parts: ['online'],
  fixedBatch: { steps: 20, floor: -1, progress: 0.15 },
});
