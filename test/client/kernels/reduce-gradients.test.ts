/**
 * The gradients of Sum and Mean that broadcast instead of multiplying by ones
 * (client/kernels/reduce-gradients.ts) give tfjs's own bits, on every axis
 * combination, with keepDims, on the cpu and wasm backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { registerReduceGradients } from '../../../client/kernels/reduce-gradients.js';

const SHAPE = [3, 4, 5];
const AXES: (number | number[])[] = [0, 1, 2, -1, [0, 2], [1, 2], [0, 1, 2]];

/** For each backend, reduction and axis: the gradient of sum(w * reduce(x)) for x, as numbers. */
async function gradients(): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const x = tf.tensor(Array.from({ length: 60 }, (_, i) => Math.sin(i) * 3), SHAPE);
    for (const reduce of ['sum', 'mean'] as const) {
      for (const axis of AXES) {
        for (const keepDims of [false, true]) {
          const g = tf.tidy(() => {
            const f = (v: tf.Tensor) => {
              const r = tf[reduce](v, axis, keepDims);
              // Weights that differ per output element, so the broadcast direction matters.
              const w = tf.reshape(tf.range(1, r.size + 1), r.shape);
              return tf.sum(tf.mul(r, w));
            };
            return Array.from(tf.grad(f)(x).dataSync());
          });
          out.set(`${backend} ${reduce} axis ${JSON.stringify(axis)} keepDims ${keepDims}`, g);
        }
      }
    }
    x.dispose();
  }
  return out;
}

describe('Sum and Mean gradients by broadcasting', () => {
  it('equal tfjs own gradients bit for bit', async () => {
    const theirs = await gradients();
    registerReduceGradients();
    const ours = await gradients();
    expect(ours.size).toBe(2 * 2 * AXES.length * 2);
    for (const [key, want] of theirs) expect(ours.get(key), key).toEqual(want);
    const before = tf.memory().numTensors;
    tf.tidy(() => void tf.grad((v: tf.Tensor) => tf.mean(v, 1))(tf.ones([2, 3])));
    expect(tf.memory().numTensors).toBe(before);
  });
});
