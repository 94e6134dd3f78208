/**
 * The addon's non-convolution wasm kernels (client/kernels/native/ops.ts) must
 * agree with the cpu backend, fall back where they do not apply, and not leak.
 * Skipped where the addon is not built.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOneDnn } from '../../../client/kernels/native/onednn.js';
import { broadcastPlan, nativeOpKernelsRegistered } from '../../../client/kernels/native/ops.js';
import { registerNativeKernels, unregisterNativeKernels } from '../../../client/kernels/native/register.js';
import { registerWasmConvGradients } from '../../../client/kernels/wasm-conv-grads.js';
import { outputOn, relErr } from '../../support/compare.js';

const loaded = loadOneDnn();
const skipReason = loaded.addon === null ? loaded.reason : '';

let seed = 99;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 4294967296;
};
const randArray = (n: number): Float32Array => Float32Array.from({ length: n }, () => rand() * 2 - 1);
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);


/** Runs `f` on the same inputs on wasm (native kernels) and cpu; compares values and shapes. */
async function expectSame(label: string, shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor): Promise<void> {
  const data = shapes.map((s) => randArray(size(s)));
  const run = (backend: string) => outputOn(backend, shapes, data, f);
  const got = await run('wasm');
  const ref = await run('cpu');
  await tf.setBackend('wasm');
  expect(got.shape, label).toEqual(ref.shape);
  expect(relErr(got.v, ref.v), label).toBeLessThan(1e-5);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
  registerWasmConvGradients();
  if (!skipReason) expect(registerNativeKernels({ threads: 1 })).toMatchObject({ ok: true });
});

describe('broadcastPlan', () => {
  it('collapses per-channel broadcasts and same-shape operands', () => {
    expect(broadcastPlan([64, 32, 32, 16], [16], [64, 32, 32, 16])).toEqual({ dims: [65536, 16], sx: [16, 1], sy: [0, 1] });
    expect(broadcastPlan([4, 1, 1, 1, 16], [4, 16, 8, 8, 16], [4, 16, 8, 8, 16]))
      .toEqual({ dims: [4, 1024, 16], sx: [16, 0, 1], sy: [16384, 16, 1] });
    expect(broadcastPlan([3, 5], [3, 5], [3, 5])).toEqual({ dims: [15], sx: [1], sy: [1] });
    expect(broadcastPlan([], [], [])).toEqual({ dims: [1], sx: [0], sy: [0] });
    expect(broadcastPlan([2, 1, 3], [1, 4, 1], [2, 4, 3])).toEqual({ dims: [2, 4, 3], sx: [3, 0, 1], sy: [0, 1, 0] });
  });
});

describe.skipIf(skipReason !== '')(`native wasm op kernels${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('are registered and reversible', () => {
    expect(nativeOpKernelsRegistered()).toBe(true);
    unregisterNativeKernels();
    expect(nativeOpKernelsRegistered()).toBe(false);
    expect(registerNativeKernels({ threads: 1 })).toMatchObject({ ok: true });
    expect(nativeOpKernelsRegistered()).toBe(true);
  });

  it('BatchMatMul matches cpu for transposes, ranks and batch broadcasts', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[64, 128], [4096, 128], false, true], // MoCo queue logits
      [[64, 512], [64, 128], true, false],
      [[7, 5], [5, 3], false, false],
      [[5, 7], [3, 5], true, true],
      [[2, 3, 4, 5], [2, 3, 5, 6], false, false],
      [[1, 4, 5], [3, 5, 2], false, false], // broadcast a
      [[3, 4, 5], [5, 2], false, false], // rank-2 b
      [[2, 1, 4, 5], [1, 3, 5, 2], false, false], // real broadcast: falls back
    ];
    for (const [sa, sb, ta, tb] of cases) {
      await expectSame(`matmul ${sa} ${sb} ${ta} ${tb}`, [sa, sb], (a, b) => tf.matMul(a, b, ta, tb));
    }
  });

  it('Sum / Mean match cpu for contiguous and other axes, with and without keepDims', async () => {
    const shape = [4, 6, 5, 3, 7];
    const axesList: (number | number[] | undefined)[] = [[0, 1, 2], [1, 2, 3], [3, 4], 4, 0, -1, [0, 1, 2, 3, 4], undefined, [0, 2], [1, 4]];
    for (const axis of axesList) {
      for (const keep of [false, true]) {
        await expectSame(`sum ${axis} ${keep}`, [shape], (x) => tf.sum(x, axis, keep));
        await expectSame(`mean ${axis} ${keep}`, [shape], (x) => tf.mean(x, axis, keep));
      }
    }
    await expectSame('long sum', [[64, 32, 32, 16]], (x) => tf.sum(x, [0, 1, 2]));
  });

  it('Add / Sub / Multiply / RealDiv match cpu for broadcast patterns', async () => {
    const pairs: [number[], number[]][] = [
      [[8, 6, 6, 16], [16]], [[16], [8, 6, 6, 16]], [[4, 5, 3, 3, 8], [4, 1, 1, 1, 8]], [[4, 1, 1, 1, 8], [4, 5, 3, 3, 8]],
      [[3, 5], [3, 5]], [[3, 5], []], [[], [3, 5]], [[2, 1, 3], [1, 4, 1]], [[64, 4097], [64, 1]], [[1], [1]],
      [[2, 1, 2, 1, 2, 1], [1, 2, 1, 2, 1, 2]], // 6 alternating axes: nothing merges
    ];
    for (const [sa, sb] of pairs) {
      await expectSame(`add ${sa} ${sb}`, [sa, sb], (a, b) => tf.add(a, b));
      await expectSame(`sub ${sa} ${sb}`, [sa, sb], (a, b) => tf.sub(a, b));
      await expectSame(`mul ${sa} ${sb}`, [sa, sb], (a, b) => tf.mul(a, b));
      await expectSame(`div ${sa} ${sb}`, [sa, sb], (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5)));
    }
    // Equal: bool output; exact ties come from shared values.
    await tf.setBackend('wasm');
    const e = tf.tidy(() => {
      const a = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
      return tf.equal(a, tf.tensor2d([[2], [5]]));
    });
    expect(e.dtype).toBe('bool');
    expect(Array.from(e.dataSync())).toEqual([0, 1, 0, 0, 1, 0]);
    e.dispose();
    await expectSame('equal big', [[64, 4097], [64, 1]], (a, b) => tf.cast(tf.equal(a, tf.slice(a, [0, 5], [64, 1])), 'float32'));
    // int32 goes to the wasm kernels.
    const i = tf.add(tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3, 4], 'int32'));
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.dataSync())).toEqual([4, 6]);
    i.dispose();
  });

  it('GatherV2 matches cpu on any axis, and still rejects out-of-range indices', async () => {
    const shape = [6, 4, 5, 3];
    for (const axis of [0, 1, 2, 3, -1]) {
      const n = shape[axis < 0 ? shape.length + axis : axis];
      const idx = Array.from({ length: 7 }, (_, i) => (i * 5) % n);
      await expectSame(`gather axis ${axis}`, [shape], (x) => tf.gather(x, tf.tensor1d(idx, 'int32'), axis));
    }
    await expectSame('gather 2-D indices', [shape], (x) => tf.gather(x, tf.tensor2d([[0, 5], [3, 3]], [2, 2], 'int32')));
    await tf.setBackend('wasm');
    const xi = tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32');
    const gi = tf.gather(xi, tf.tensor1d([1, 0], 'int32'));
    expect(Array.from(gi.dataSync())).toEqual([3, 4, 1, 2]);
    expect(() => tf.gather(xi, tf.tensor1d([2], 'int32'))).toThrow(/not in/);
    tf.dispose([xi, gi]);
  });

  it('Identity and same-dtype Cast alias their input without leaking', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const before = backend.numDataIds();
    const y = tf.clone(x);
    const z = tf.cast(x, 'float32');
    const w = tf.cast(x, 'int32');
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(z.dataSync())).toEqual([1, 2, 3, 4]);
    expect(w.dtype).toBe('int32');
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]); // still alive through its own reference
    tf.dispose([y, z, w]);
    expect(backend.numDataIds()).toBe(before - 1);
  });

  it('train a small conv net with batch norm-like ops without leaking', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([8, 8, 8, 3]);
    const w = tf.variable(tf.mul(tf.randomNormal([3, 3, 3, 8]), 0.3));
    const g = tf.variable(tf.ones([8]));
    const loss = (): tf.Scalar => {
      const h = tf.conv2d(x as tf.Tensor4D, w as tf.Variable<tf.Rank.R4>, 1, 'same');
      const mean = tf.mean(h, [0, 1, 2], true);
      const v = tf.mean(tf.square(tf.sub(h, mean)), [0, 1, 2], true);
      const n = tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(v, 1e-5))), g);
      return tf.mean(tf.square(tf.sub(tf.relu(n), 0.5)));
    };
    const step = (): number => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, [w, g]);
      w.assign(tf.sub(w, tf.mul(grads[w.name], 0.1)));
      g.assign(tf.sub(g, tf.mul(grads[g.name], 0.1)));
      return value.dataSync()[0];
    });
    const first = step();
    const tensors = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 10; i++) last = step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(last).toBeLessThan(first);
    tf.dispose([x, w, g]);
  });
});
