import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { l2Normalize } from '../../../client/models/encoder.js';
import { infoNce, unitRows } from '../../../client/ssl/losses.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

function rows(t: tf.Tensor2D): number[][] {
  return t.arraySync();
}

/** InfoNCE written out with plain loops: cross-entropy with the positive at index 0. */
function directInfoNce(q: number[][], k: number[][], queue: number[][], t: number): number {
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
  let total = 0;
  q.forEach((qi, i) => {
    const logits = [dot(qi, k[i]), ...queue.map((n) => dot(qi, n))].map((l) => l / t);
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
    total += lse - logits[0];
  });
  return total / q.length;
}

describe('infoNce', () => {
  it('matches a direct computation', () => {
    const q = l2Normalize(tf.randomNormal([6, 5], 0, 1, 'float32', 1));
    const k = l2Normalize(tf.randomNormal([6, 5], 0, 1, 'float32', 2));
    const queue = l2Normalize(tf.randomNormal([9, 5], 0, 1, 'float32', 3));
    const loss = infoNce(q, k, queue, 0.2).dataSync()[0];
    expect(loss).toBeCloseTo(directInfoNce(rows(q), rows(k), rows(queue), 0.2), 4);
  });

  it('is lowest when each query equals its key and is far from the queue', () => {
    const k = l2Normalize(tf.randomNormal([4, 8], 0, 1, 'float32', 4));
    const queue = l2Normalize(tf.neg(k));
    const aligned = infoNce(k, k, queue, 0.2).dataSync()[0];
    const random = infoNce(l2Normalize(tf.randomNormal([4, 8], 0, 1, 'float32', 5)), k, queue, 0.2).dataSync()[0];
    expect(aligned).toBeLessThan(random);
    expect(aligned).toBeLessThan(0.01);
  });

  it('falls under gradient steps on a fixed batch', () => {
    const w = tf.variable(tf.randomNormal([10, 8], 0, 0.3, 'float32', 6));
    const x = tf.randomNormal([16, 10], 0, 1, 'float32', 7);
    const k = l2Normalize(tf.add(tf.matMul(x, tf.randomNormal([10, 8], 0, 0.3, 'float32', 8)), 0));
    const queue = l2Normalize(tf.randomNormal([32, 8], 0, 1, 'float32', 9));
    const lossOf = () => infoNce(l2Normalize(tf.matMul(x, w)), k, queue, 0.2);
    const before = lossOf().dataSync()[0];
    const optimizer = tf.train.sgd(0.5);
    for (let i = 0; i < 50; i++) optimizer.minimize(() => lossOf(), false, [w]);
    const after = lossOf().dataSync()[0];
    expect(after).toBeLessThan(before * 0.5);
  });
});

describe('unitRows', () => {
  it('has the value and gradient of x / |x| away from zero', () => {
    const plain = (v: tf.Tensor2D) => tf.div(v, tf.norm(v, 'euclidean', 1, true)) as tf.Tensor2D;
    const x = tf.randomNormal([4, 5], 0, 1, 'float32', 11) as tf.Tensor2D;
    const dy = tf.randomNormal([4, 5], 0, 1, 'float32', 12);
    expect(unitRows(x).arraySync().flat().map((v) => v.toFixed(5))).toEqual(plain(x).arraySync().flat().map((v) => v.toFixed(5)));
    const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(unitRows(v as tf.Tensor2D), dy)))(x).dataSync();
    const reference = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(plain(v as tf.Tensor2D), dy)))(x).dataSync();
    ours.forEach((v, i) => expect(v).toBeCloseTo(reference[i], 5));
  });

  it('keeps an all-zero row at zero with a finite gradient', () => {
    const x = tf.tensor2d([0, 0, 0, 3, 4, 0], [2, 3]);
    expect(unitRows(x).arraySync()).toEqual([
      [0, 0, 0],
      [0.6000000238418579, 0.800000011920929, 0],
    ]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(unitRows(v as tf.Tensor2D)))(x).dataSync();
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
  });
});
