/**
 * The wasm kernels that need no addon (client/kernels/wasm-js-kernels.ts): the
 * JavaScript fused training batch norm agrees with the composition of tfjs ops
 * to float32 precision (values, statistics, gradients; with ghost-batch
 * groups; through tfjs's gradients and the lean backward pass), leaves no
 * tensor behind and refuses inputs that do not fit; Identity and Cast alias
 * instead of copying, and the aliases outlive the original; BatchMatMul with
 * transposed operands, a broadcasting Equal, GatherV2, Slice and SplitV agree
 * with the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BatchNormTrain, fusedBatchNormActive, useFusedBatchNorm } from '../../../client/kernels/batch-norm-op.js';
import { registerWasmConvGradients } from '../../../client/kernels/wasm-conv-grads.js';
import { registerWasmJsKernels, unregisterWasmJsKernels } from '../../../client/kernels/wasm-js-kernels.js';
import { batchNorm, bnDecls } from '../../../client/models/layers.js';
import { createParams, disposeParams } from '../../../client/models/params.js';
import { batchNormBackwardJs, batchNormForwardJs } from '../../../client/kernels/wasm-batchnorm.js';
import { expectFusedMatchesComposed } from '../../support/batchnorm-compare.js';
import { outputOn, relErr } from '../../support/compare.js';

let seed = 5;
function randoms(n: number, scale: number, shift = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = ((seed / 4294967296) * 2 - 1) * scale + shift;
  }
  return out;
}

/** The batch norm's outputs and gradients in float64, straight from the definitions. */
function batchNormReference(
  { groups, rows, channels: C, epsilon }: { groups: number; rows: number; channels: number; epsilon: number },
  x: Float32Array, dy: Float32Array, gamma: Float32Array, beta: Float32Array,
) {
  const n = x.length;
  const r = { y: new Float64Array(n), dx: new Float64Array(n), mean: new Float64Array(groups * C), variance: new Float64Array(groups * C), dgamma: new Float64Array(C), dbeta: new Float64Array(C) };
  for (let g = 0; g < groups; g++) {
    for (let c = 0; c < C; c++) {
      const at = (i: number): number => (g * rows + i) * C + c;
      let m = 0;
      for (let i = 0; i < rows; i++) m += x[at(i)] / rows;
      let v = 0;
      for (let i = 0; i < rows; i++) v += (x[at(i)] - m) ** 2 / rows;
      const invstd = 1 / Math.sqrt(v + epsilon);
      let mdy = 0;
      let mdyx = 0;
      for (let i = 0; i < rows; i++) {
        const xhat = (x[at(i)] - m) * invstd;
        r.y[at(i)] = xhat * gamma[c] + beta[c];
        mdy += dy[at(i)] / rows;
        mdyx += (dy[at(i)] * xhat) / rows;
        r.dgamma[c] += dy[at(i)] * xhat;
        r.dbeta[c] += dy[at(i)];
      }
      for (let i = 0; i < rows; i++) r.dx[at(i)] = gamma[c] * invstd * (dy[at(i)] - mdy - (x[at(i)] - m) * invstd * mdyx);
      r.mean[g * C + c] = m;
      r.variance[g * C + c] = v;
    }
  }
  return r;
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmConvGradients();
  registerWasmJsKernels();
});

afterEach(() => useFusedBatchNorm(false));
afterAll(() => unregisterWasmJsKernels());

describe('wasm kernels without the addon', () => {
  it('fused batch norm matches the composed one: values, statistics, gradients', () => {
    useFusedBatchNorm(true);
    expect(fusedBatchNormActive()).toBe(true);
    // Fewer rows than the variance shift's sample, ghost groups, odd channel counts.
    // 3e-4, not the addon test's 2e-5: the reference is composed of the wasm
    // Sum / Mean kernels (the addon test's uses the addon's), whose float32
    // sums put the mean of the channel offset by 1000 off by up to ~1e-3
    // (y off by ~2e-4 of its range, measured against float64). The kernel
    // itself is checked against float64 to 2e-5 below.
    expectFusedMatchesComposed([[[8, 9, 7, 16], 1], [[8, 9, 7, 16], 4], [[64, 33], 2], [[130, 5, 5, 3], 2], [[4, 1, 1, 5], 4]], 3e-4);
  });

  it('fused batch norm agrees with a float64 evaluation of its formulas to 2e-5', () => {
    const groups = 2;
    const rows = 1625; // more than the variance shift's sample of rows
    const C = 3;
    const geo = { groups, rows, channels: C, epsilon: 1e-5 };
    const n = groups * rows * C;
    const x = randoms(n, 3);
    for (let i = 0; i < n; i += C) x[i] += 1000;
    const dy = randoms(n, 1);
    const gamma = randoms(C, 0.5, 1);
    const beta = randoms(C, 1);
    const ref = batchNormReference(geo, x, dy, gamma, beta);
    const y = new Float32Array(n);
    const mean = new Float32Array(groups * C);
    const variance = new Float32Array(groups * C);
    batchNormForwardJs(geo, x, gamma, beta, y, mean, variance);
    const dx = new Float32Array(n);
    const dgamma = new Float32Array(C);
    const dbeta = new Float32Array(C);
    batchNormBackwardJs(geo, dy, x, mean, variance, gamma, dx, dgamma, dbeta);
    const got = { y, mean, variance, dx, dgamma, dbeta };
    for (const key of Object.keys(ref) as (keyof typeof ref)[]) expect(relErr(got[key], ref[key]), key).toBeLessThan(2e-5);
  });

  it('fused batch norm refuses inputs that do not fit, naming them', () => {
    useFusedBatchNorm(true);
    const p = createParams(bnDecls('bn', 4), 0, 'torch-default');
    const x = tf.ones([6, 5]);
    expect(() => batchNorm(p, 'bn', x, { training: true, bnGroups: 1 })).toThrow(/per-channel tensor of shape \[4\] for 5 channels/);
    const x3 = tf.ones([6, 4]);
    const gamma = tf.ones([4]);
    const beta = tf.zeros([4]);
    const call = (groups: number, epsilon: number) => () => tf.engine().runKernel(BatchNormTrain, { x: x3, gamma, beta }, { groups, epsilon });
    expect(call(4, 1e-5)).toThrow(/x of shape \[6,4\] cannot be split into 4 groups/);
    expect(call(1, 0)).toThrow(/epsilon must be a positive number/);
    tf.dispose([x, x3, gamma, beta]);
    disposeParams(p);
  });

  it('Identity and same-dtype Cast alias: same values, same bytes, each freed on its own', () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const c = x.clone();
    const k = tf.cast(x, 'float32');
    expect(c.dataId).toBe(x.dataId);
    expect(k.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4]);
    k.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4]);
    // A real cast still converts.
    const i = tf.cast(c, 'int32');
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.dataSync())).toEqual([1, 2, 3, 4]);
    tf.dispose([c, i]);
  });

  it('BatchMatMul with transposed operands matches the cpu backend, batched and broadcast too', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[6, 5], [7, 5], false, true], [[5, 6], [5, 7], true, false], [[5, 6], [7, 5], true, true],
      [[3, 4, 5], [3, 6, 5], false, true], [[2, 5, 4], [1, 5, 6], true, false], [[6, 5], [5, 7], false, false],
    ];
    for (const [sa, sb, ta, tb] of cases) {
      const a = randoms(sa.reduce((p, q) => p * q, 1), 1);
      const b = randoms(sb.reduce((p, q) => p * q, 1), 1);
      const f = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.matMul(x, y, ta, tb);
      const before = tf.memory().numTensors;
      const got = await outputOn('wasm', [sa, sb], [a, b], f);
      expect(tf.memory().numTensors).toBe(before);
      const want = await outputOn('cpu', [sa, sb], [a, b], f);
      expect(got.shape).toEqual(want.shape);
      expect(relErr(got.v, want.v), `[${sa}]${ta ? 'T' : ''} x [${sb}]${tb ? 'T' : ''}`).toBeLessThan(1e-6);
    }
    await tf.setBackend('wasm');
  });

  it('Equal with broadcasting matches the cpu backend', async () => {
    const six = [1, 2, 3, 4, 5, 6];
    const cases: [number[], number[], number[], number[]][] = [
      [[2, 3], six, [2, 1], [2, 5]], [[3, 2], six, [2], [2, 4]], [[6], six, [1], [3]], [[2, 3], six, [2, 3], [1, 0, 3, 4, 0, 6]],
      [[1, 2], [2, 5], [3, 1], [2, 5, 0]], [[2, 3], six, [1, 3], [4, 2, 6]],
    ];
    for (const [sa, va, sb, vb] of cases) {
      const inputs = [new Float32Array(va), new Float32Array(vb)];
      const f = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.cast(tf.equal(x, y), 'float32');
      const got = await outputOn('wasm', [sa, sb], inputs, f);
      const want = await outputOn('cpu', [sa, sb], inputs, f);
      expect({ v: Array.from(got.v), shape: got.shape }, `[${sa}] == [${sb}]`).toEqual({ v: Array.from(want.v), shape: want.shape });
    }
    await tf.setBackend('wasm');
  });

  it('GatherV2 matches the cpu backend on any axis and with 2-D indices', async () => {
    const shape = [4, 3, 5];
    const data = [randoms(60, 1)];
    for (let axis = 0; axis < 3; axis++) {
      const idx = [shape[axis] - 1, 0, 1, 0];
      const f = (x: tf.Tensor): tf.Tensor => tf.gather(x, tf.tensor1d(idx, 'int32'), axis);
      expect(await outputOn('wasm', [shape], data, f), `axis ${axis}`).toEqual(await outputOn('cpu', [shape], data, f));
    }
    const f2 = (x: tf.Tensor): tf.Tensor => tf.gather(x, tf.tensor2d([[0, 3], [2, 2]], [2, 2], 'int32'));
    expect(await outputOn('wasm', [shape], data, f2)).toEqual(await outputOn('cpu', [shape], data, f2));
    await tf.setBackend('wasm');
  });
  it('Slice matches the cpu backend for any begin and size, on every rank and dtype', async () => {
    const sliceCase = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.tuple(...shape.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: -1, max: d - b }))))), fc.constantFrom('float32', 'int32', 'bool')));
    const results: { shape: number[]; got: unknown; want: unknown }[] = [];
    for (const [shape, bs, dtype] of fc.sample(sliceCase, { numRuns: 120, seed: 11 })) {
      const begin = bs.map(([b]) => b);
      const size = bs.map(([, s]) => s);
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 3 : dtype === 'int32' ? i * 7 - 20 : i * 0.5 - 3));
      const on = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const y = tf.slice(tf.tensor(values, shape, dtype as tf.DataType), begin, size);
          return { shape: y.shape, dtype: y.dtype, v: Array.from(y.dataSync()) };
        });
      };
      results.push({ shape: [...shape, ...begin, ...size], got: await on('wasm'), want: await on('cpu') });
    }
    for (const r of results) expect(r.got, `shape, begin, size ${r.shape}`).toEqual(r.want);
    await tf.setBackend('wasm');
  });

  it('SplitV matches the cpu backend: equal parts, sizes with -1, every axis; concat gradients through it', async () => {
    const shape = [4, 6, 3];
    const data = [randoms(72, 1)];
    const cases: [number[] | number, number][] = [[2, 0], [[1, -1, 2], 1], [[3, 0, 3], 1], [3, 2], [[4], 0]];
    for (const [splits, axis] of cases) {
      const f = (x: tf.Tensor): tf.Tensor => tf.concat(tf.split(x, splits, axis).map((p, i) => tf.mul(p, i + 1)), axis);
      expect(await outputOn('wasm', [shape], data, f), `split ${JSON.stringify(splits)} on axis ${axis}`).toEqual(await outputOn('cpu', [shape], data, f));
    }
    const grad = (x: tf.Tensor): tf.Tensor => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.concat([tf.slice(v, [0, 1, 0], [4, 2, 3]), v], 1), tf.reshape(tf.range(0, 8), [1, 8, 1]))))(x);
    expect(await outputOn('wasm', [shape], data, grad)).toEqual(await outputOn('cpu', [shape], data, grad));
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    tf.tidy(() => void tf.split(tf.ones([4, 6]), [2, 4], 1));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => tf.split(tf.ones([4, 6]), [2, 5], 1)).toThrow();
  });
});
