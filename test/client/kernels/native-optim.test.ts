/**
 * The SGD update and the moving average in one native kernel per parameter
 * (client/kernels/optim-ops.ts, native/optim.cc) give the same bits as the
 * composed ops they replace (on the wasm kernels), with and without weight
 * decay, on one and two threads, over several steps; bad inputs are refused by
 * name. Skipped where the addon is not built.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedMovingAverageAvailable, fusedSgdAvailable, sgdMomentumStep, movingAverage } from '../../../client/kernels/optim-ops.js';
import { loadOneDnn } from '../../../client/kernels/native/onednn.js';
import { registerNativeKernels, unregisterNativeKernels } from '../../../client/kernels/native/register.js';
import { Sgd } from '../../../client/optim/sgd.js';

const loaded = loadOneDnn();
const skipReason = loaded.addon === null ? loaded.reason : '';

function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s / 4294967296) * 4 - 2;
  }
  return out;
}

const SHAPES: Record<string, number[]> = { conv: [3, 3, 64, 64], bias: [7], big: [300_001] };

/** Parameters and velocities (as bits) after three steps of `Sgd` with fixed gradients. */
async function train(weightDecay: number): Promise<Record<string, Int32Array>> {
  const params = new Map(Object.entries(SHAPES).map(([name, shape], k) => [name, tf.tidy(() => tf.variable(tf.tensor(values(shape.reduce((a, b) => a * b, 1), k + 1), shape)))]));
  const sgd = new Sgd({ momentum: 0.9, weightDecay });
  for (let step = 0; step < 3; step++) {
    const grads: tf.NamedTensorMap = {};
    params.forEach((w, name) => { grads[w.name] = tf.tensor(values(w.size, 100 * step + name.length), w.shape); });
    sgd.apply(params, grads, 0.06 / (step + 1));
    tf.dispose(Object.values(grads));
  }
  const out: Record<string, Int32Array> = {};
  params.forEach((w, name) => { out[name] = new Int32Array((w.dataSync() as Float32Array).slice().buffer); });
  for (const [name, v] of Object.entries(await sgd.exportState())) out[`velocity ${name}`] = new Int32Array(v.values.slice().buffer);
  sgd.dispose();
  params.forEach((w) => w.dispose());
  return out;
}

beforeAll(async () => {
  await tf.setBackend('wasm');
});
afterAll(() => unregisterNativeKernels());

describe.skipIf(skipReason !== '')(`native SGD update and moving average${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  for (const weightDecay of [5e-4, 0]) {
    it(`gives the composed update's bits, weight decay ${weightDecay}, on 1 and 2 threads`, async () => {
      unregisterNativeKernels();
      expect(fusedSgdAvailable()).toBe(false);
      const composed = await train(weightDecay);
      for (const threads of [1, 2]) {
        registerNativeKernels({ threads });
        expect(fusedSgdAvailable()).toBe(true);
        const before = tf.memory().numTensors;
        const fused = await train(weightDecay);
        expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
        for (const key of Object.keys(composed)) {
          const diff = composed[key].findIndex((b, i) => b !== fused[key][i]);
          expect(diff, `${key}: first differing element on ${threads} thread(s)`).toBe(-1);
        }
      }
    });
  }

  it('moving averages give the composed ops\' bits, on 1 and 2 threads', () => {
    const bits = (): Int32Array[] => [0.99, 0.9, 0.999].map((m) => tf.tidy(() => {
      const t = tf.tensor(values(300_001, 3));
      const q = tf.tensor(values(300_001, 4));
      return new Int32Array((movingAverage(t, q, m).dataSync() as Float32Array).slice().buffer);
    }));
    unregisterNativeKernels();
    expect(fusedMovingAverageAvailable()).toBe(false);
    const composed = bits();
    for (const threads of [1, 2]) {
      registerNativeKernels({ threads });
      expect(fusedMovingAverageAvailable()).toBe(true);
      bits().forEach((b, k) => expect(b.findIndex((x, i) => x !== composed[k][i]), `momentum #${k}, ${threads} thread(s)`).toBe(-1));
    }
  });

  it('refuses tensors of another shape or dtype, naming them', () => {
    registerNativeKernels({ threads: 1 });
    const w = tf.zeros([4]);
    const g = tf.zeros([5]);
    const i = tf.zeros([4], 'int32');
    const attrs = { lr: 0.1, momentum: 0.9, weightDecay: 0 };
    expect(() => sgdMomentumStep(w, g, w, attrs)).toThrow(/float32 tensors of one shape expected, got float32 \[5\] for a parameter of shape \[4\]/);
    expect(() => sgdMomentumStep(w, i, w, attrs)).toThrow(/got int32 \[4\]/);
    expect(() => sgdMomentumStep(w, w, w, { ...attrs, lr: Number.NaN })).toThrow(/finite numbers/);
    expect(() => movingAverage(w, g, 0.9)).toThrow(/StreamsslMovingAverage: float32 tensors of one shape expected/);
    tf.dispose([w, g, i]);
  });
});
