import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sgd } from '../../../client/optim/sgd.js';
import { Byol } from '../../../client/ssl/byol.js';
import { normalizedMse } from '../../../client/ssl/losses.js';
import { Random } from '../../../shared/random.js';
import { useWasm } from '../../support/backend.js';
import { methodContract, tinyEncoder, train } from './method-contract.js';

beforeAll(useWasm);

const create = (seed: number, encoder = tinyEncoder) => new Byol({ encoder, predictorHidden: 16, momentum: 0.9, bnGroups: 2 }, seed);

describe('normalizedMse', () => {
  it('equals 2 - 2cos, and the squared distance of the normalized vectors, row by row', () => {
    const p = tf.randomNormal([5, 6], 0, 1, 'float32', 1) as tf.Tensor2D;
    const z = tf.randomNormal([5, 6], 0, 1, 'float32', 2) as tf.Tensor2D;
    const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    const rows = z.arraySync();
    const cosines = p.arraySync().map((pi, i) => pi.reduce((s, v, j) => s + v * rows[i][j], 0) / (norm(pi) * norm(rows[i])));
    const distances = p.arraySync().map((pi, i) => pi.reduce((s, v, j) => s + (v / norm(pi) - rows[i][j] / norm(rows[i])) ** 2, 0));
    const loss = normalizedMse(p, z).dataSync()[0];
    expect(loss).toBeCloseTo(cosines.reduce((s, c) => s + 2 - 2 * c, 0) / 5, 5);
    expect(loss).toBeCloseTo(distances.reduce((s, d) => s + d, 0) / 5, 5);
  });

  it('falls under gradient steps on a fixed batch', () => {
    const w = tf.variable(tf.randomNormal([10, 8], 0, 0.3, 'float32', 3));
    const x = tf.randomNormal([16, 10], 0, 1, 'float32', 4);
    const target = tf.randomNormal([16, 8], 0, 1, 'float32', 5) as tf.Tensor2D;
    const lossOf = () => normalizedMse(tf.matMul(x, w), target);
    const before = lossOf().dataSync()[0];
    const optimizer = tf.train.sgd(0.5);
    for (let i = 0; i < 50; i++) optimizer.minimize(() => lossOf(), false, [w]);
    expect(lossOf().dataSync()[0]).toBeLessThan(before * 0.5);
  });
});

describe('BYOL target network', () => {
  it('has no predictor and follows the online network by its EMA after each step', async () => {
    const method = create(1);
    const optimizer = new Sgd({ momentum: 0.9, weightDecay: 0 });
    const before = await method.exportState();
    expect(Object.keys(before.online).some((n) => n.startsWith('predictor.'))).toBe(true);
    expect(Object.keys(before.target).some((n) => n.startsWith('predictor.'))).toBe(false);
    train(method, optimizer, 1, 0, new Random(1));
    const after = await method.exportState();
    for (const name of ['backbone.stem.w', 'head.fc2.w']) {
      const moved = after.online[name].values.some((v, i) => Math.abs(v - before.online[name].values[i]) > 1e-6);
      expect(moved, `${name} moved`).toBe(true);
      // The target started as a copy of the online network: t1 = 0.9 t0 + 0.1 w1.
      after.target[name].values.forEach((v, i) => expect(v).toBeCloseTo(0.9 * before.target[name].values[i] + 0.1 * after.online[name].values[i], 6));
    }
    method.dispose();
    optimizer.dispose();
  });
});

methodContract('BYOL', { create, parts: ['online', 'target'], fixedBatch: { steps: 20, floor: 0, progress: 0.3 } });
