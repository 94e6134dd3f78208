import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { l2Normalize } from '../../../client/models/encoder.js';
import { projectionForward } from '../../../client/models/projection.js';
import { backboneForward } from '../../../client/models/resnet.js';
import { Sgd } from '../../../client/optim/sgd.js';
import { ntXent, unitRows } from '../../../client/ssl/losses.js';
import { SimClr } from '../../../client/ssl/simclr.js';
import { Random } from '../../../shared/random.js';
import { useWasm } from '../../support/backend.js';
import { methodContract, tinyEncoder, views } from './method-contract.js';

beforeAll(useWasm);

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

/** NT-Xent with loops: every anchor of the 2N, its positive the other view, itself left out. */
function directNtXent(z1: number[][], z2: number[][], t: number): number {
  const z = [...z1, ...z2];
  const n = z1.length;
  let total = 0;
  z.forEach((anchor, a) => {
    const logits = z.flatMap((other, b) => (b === a ? [] : [dot(anchor, other) / t]));
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
    total += lse - dot(anchor, z[(a + n) % (2 * n)]) / t;
  });
  return total / (2 * n);
}

describe('ntXent', () => {
  it('matches a direct computation over the 2N views', () => {
    const z1 = l2Normalize(tf.randomNormal([5, 6], 0, 1, 'float32', 1));
    const z2 = l2Normalize(tf.randomNormal([5, 6], 0, 1, 'float32', 2));
    for (const t of [0.1, 0.5]) {
      expect(ntXent(z1, z2, t).dataSync()[0]).toBeCloseTo(directNtXent(z1.arraySync(), z2.arraySync(), t), 4);
    }
  });

  it('is lower for aligned views than for unrelated ones', () => {
    const z1 = l2Normalize(tf.randomNormal([6, 8], 0, 1, 'float32', 3));
    const aligned = ntXent(z1, z1, 0.2).dataSync()[0];
    const unrelated = ntXent(z1, l2Normalize(tf.randomNormal([6, 8], 0, 1, 'float32', 4)), 0.2).dataSync()[0];
    expect(aligned).toBeLessThan(unrelated);
  });

  it('falls under gradient steps on a fixed batch', () => {
    const w = tf.variable(tf.randomNormal([10, 8], 0, 0.3, 'float32', 5));
    const x1 = tf.randomNormal([16, 10], 0, 1, 'float32', 6);
    const x2 = tf.add(x1, tf.randomNormal([16, 10], 0, 0.5, 'float32', 7));
    const lossOf = () => ntXent(l2Normalize(tf.matMul(x1, w)), l2Normalize(tf.matMul(x2, w)), 0.2);
    const before = lossOf().dataSync()[0];
    const optimizer = tf.train.sgd(0.5);
    for (let i = 0; i < 50; i++) optimizer.minimize(() => lossOf(), false, [w]);
    expect(lossOf().dataSync()[0]).toBeLessThan(before * 0.7);
  });
});

describe('SimCLR step', () => {
  it('reports NT-Xent over both views\' embeddings (one batch-norm group: the shuffle changes no statistic)', () => {
    const method = new SimClr({ encoder: tinyEncoder, temperature: 0.2, bnGroups: 1 }, 1);
    const optimizer = new Sgd({ momentum: 0, weightDecay: 0 });
    const [a, b] = views(3);
    const mode = { training: true, bnGroups: 1 };
    const embed = (v: tf.Tensor4D) => unitRows(projectionForward(method.online, backboneForward(method.online, tinyEncoder.backbone, v, mode)));
    const direct = tf.tidy(() => ntXent(embed(a), embed(b), 0.2).dataSync()[0]);
    const reported = method.step({ view1: a, view2: b }, optimizer, 0, new Random(1));
    expect(reported).toBeCloseTo(direct, 4);
    tf.dispose([a, b]);
    method.dispose();
    optimizer.dispose();
  });
});

methodContract('SimCLR', {
  create: (seed, encoder = tinyEncoder) => new SimClr({ encoder, temperature: 0.2, bnGroups: 2 }, seed),
  parts: ['online'],
  fixedBatch: { steps: 20, floor: 0, progress: 0.1 },
});
