/**
 * The fused batch norm's ReLU form, relu(batchNorm(x) + residual)
 * (client/kernels/batch-norm-relu-op.ts on native/batchnorm.cc), against the same fused
 * batch norm followed by tfjs's Add and Relu: the same bits for y, the statistics and
 * the gradients of x, gamma, beta and the residual, through tfjs's gradients and the lean
 * backward pass, on one and two threads, special values included; and a whole backbone's
 * training forward and gradients unchanged by it. Skipped where the addon is not built.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useFusedBatchNorm } from '../../../client/kernels/batch-norm-op.js';
import {
  BatchNormReluTrain, BatchNormReluTrainGrad, fusedBatchNormReluActive, fusedBatchNormReluTrain,
} from '../../../client/kernels/batch-norm-relu-op.js';
import { loadOneDnn } from '../../../client/kernels/native/onednn.js';
import { registerNativeKernels, unregisterNativeKernels } from '../../../client/kernels/native/register.js';
import { registerWasmConvGradients } from '../../../client/kernels/wasm-conv-grads.js';
import { batchNormRelu, bnDecls, type BatchStat } from '../../../client/models/layers.js';
import { createParams, disposeParams, param } from '../../../client/models/params.js';
import { backboneDecls, backboneForward } from '../../../client/models/resnet.js';
import { leanVariableGrads } from '../../../client/optim/lean-grads.js';

const loaded = loadOneDnn();
const skipReason = loaded.addon === null ? loaded.reason : '';

let seed = 5;
function values(n: number, scale = 2): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = ((seed / 4294967296) * 2 - 1) * scale;
  }
  return out;
}
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** The ReLU form's kernels, taken out and put back: without them batchNormRelu composes. */
function withoutReluKernels<T>(f: () => T): T {
  const saved = [BatchNormReluTrain, BatchNormReluTrainGrad].map((name) => tf.getKernel(name, 'wasm')!);
  for (const k of saved) tf.unregisterKernel(k.kernelName, 'wasm');
  try {
    expect(fusedBatchNormReluActive()).toBe(false);
    return f();
  } finally {
    for (const k of saved) tf.registerKernel(k);
  }
}

type Outcome = Record<string, Float32Array>;

/**
 * y, statistics and gradients of sum(y * w) through batchNormRelu. `special` plants
 * values whose ReLU is decided at the edge: a residual of NaN, of minus the batch
 * norm's output (exact zeros), of -0 on a zero output.
 */
function runBnRelu(shape: number[], groups: number, withResidual: boolean, lean: boolean, special: boolean): Outcome {
  seed = 5;
  const channels = shape[shape.length - 1];
  const p = createParams(bnDecls('bn', channels), 0, 'torch-default');
  tf.tidy(() => {
    param(p, 'bn.gamma').assign(tf.tensor1d(values(channels, 0.5).map((v) => v + 1)));
    param(p, 'bn.beta').assign(tf.tensor1d(values(channels)));
  });
  const x = tf.tidy(() => tf.variable(tf.tensor(values(size(shape), 3), shape), true));
  const rv = values(size(shape));
  if (special) for (let i = 0; i < rv.length; i += 7) rv[i] = [NaN, -0, Infinity, -Infinity][(i / 7) % 4];
  const residual = withResidual ? tf.tidy(() => tf.variable(tf.tensor(rv, shape), true)) : null;
  const w = tf.tensor(values(size(shape)), shape);
  const stats: BatchStat[] = [];
  let y: tf.Tensor | null = null;
  const f = (): tf.Scalar => {
    const out = batchNormRelu(p, 'bn', x, { training: true, bnGroups: groups, stats }, residual ?? undefined);
    y = tf.keep(out.clone());
    return tf.sum(tf.mul(out, w));
  };
  const vars = [x, param(p, 'bn.gamma'), param(p, 'bn.beta'), ...(residual ? [residual] : [])];
  const { value, grads } = lean ? leanVariableGrads(f, vars) : tf.variableGrads(f, vars);
  const read = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;
  const outcome: Outcome = {
    y: read(y!), mean: read(stats[0].mean), variance: read(stats[0].variance),
    dx: read(grads[vars[0].name]), dgamma: read(grads[vars[1].name]), dbeta: read(grads[vars[2].name]),
    ...(residual ? { dresidual: read(grads[residual.name]) } : {}),
  };
  tf.dispose([value, ...Object.values(grads), y!, x, w, stats[0].mean, stats[0].variance, ...(residual ? [residual] : [])]);
  disposeParams(p);
  return outcome;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
  registerWasmConvGradients();
});

afterEach(() => useFusedBatchNorm(false));
afterAll(() => unregisterNativeKernels());

describe.skipIf(skipReason !== '')(`the fused batch norm's ReLU form${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  // [16, 32, 32, 16]: 262k values, where two threads split every pass.
  const cases: [number[], number][] = [[[8, 9, 7, 16], 4], [[64, 33], 1], [[6, 5, 5, 3], 2], [[16, 32, 32, 16], 2]];

  for (const threads of [1, 2]) {
    it(`gives the bits of the batch norm, Add and Relu it replaces, on ${threads} thread(s)`, () => {
      expect(registerNativeKernels({ threads })).toMatchObject({ ok: true });
      useFusedBatchNorm(true);
      expect(fusedBatchNormReluActive()).toBe(true);
      for (const [shape, groups] of cases) {
        for (const withResidual of [false, true]) {
          // The 262k-value case once: its passes split on two threads; the rest covers the paths.
          for (const lean of size(shape) > 100_000 ? [false] : [false, true]) {
            for (const special of withResidual ? [false, true] : [false]) {
              const before = tf.memory().numTensors;
              const fused = runBnRelu(shape, groups, withResidual, lean, special);
              expect(tf.memory().numTensors, 'tensors left by the fused op').toBe(before);
              const composed = withoutReluKernels(() => runBnRelu(shape, groups, withResidual, lean, special));
              const label = `[${shape}] in ${groups} groups${withResidual ? ', residual' : ''}${lean ? ', lean' : ''}${special ? ', special values' : ''}`;
              expect(Object.keys(fused).sort(), label).toEqual(Object.keys(composed).sort());
              for (const key of Object.keys(fused)) expect(fused[key], `${key} of ${label}`).toEqual(composed[key]);
            }
          }
        }
      }
    });
  }

  it("leaves a backbone's training forward and gradients as they were, and runs where it is registered", () => {
    expect(registerNativeKernels({ threads: 1 })).toMatchObject({ ok: true });
    useFusedBatchNorm(true);
    const o = { widths: [8, 16], blocksPerStage: 1, stemStride: 1 as const, inputChannels: 3 };
    const run = () => {
      seed = 9;
      const p = createParams(backboneDecls(o), 3, 'torch-default');
      const x = tf.tensor4d(values(4 * 8 * 8 * 3), [4, 8, 8, 3]);
      const stats: BatchStat[] = [];
      const vars = [...p.trainable.values()];
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(backboneForward(p, o, x, { training: true, bnGroups: 2, stats }))), vars);
      const out = [value, ...vars.map((v) => grads[v.name])].map((t) => t.dataSync() as Float32Array);
      tf.dispose([value, ...Object.values(grads), x, ...stats.flatMap((s) => [s.mean, s.variance])]);
      disposeParams(p);
      return out;
    };
    let calls = 0;
    const forward = tf.getKernel(BatchNormReluTrain, 'wasm')!;
    tf.unregisterKernel(BatchNormReluTrain, 'wasm');
    tf.registerKernel({ ...forward, kernelFunc: (args) => { calls++; return forward.kernelFunc(args); } });
    const fused = run();
    tf.unregisterKernel(BatchNormReluTrain, 'wasm');
    tf.registerKernel(forward);
    // The stem, each block's first half and each block's end.
    expect(calls).toBe(1 + 2 * 2);
    const composed = withoutReluKernels(run);
    expect(fused).toEqual(composed);
  });

  it('refuses a residual of another shape and a gradient without the forward output, naming them', () => {
    expect(registerNativeKernels({ threads: 1 })).toMatchObject({ ok: true });
    const [x, gamma, beta] = [tf.ones([4, 3]), tf.ones([3]), tf.zeros([3])];
    expect(() => fusedBatchNormReluTrain(x, gamma, beta, tf.ones([4, 2]), 1, 1e-5)).toThrow(`${BatchNormReluTrain}: the residual must be float32 of x's shape [4,3], got float32 [4,2]`);
    const { mean, variance } = fusedBatchNormReluTrain(x, gamma, beta, undefined, 1, 1e-5);
    const grad = (inputs: tf.NamedTensorMap) => tf.engine().runKernel(BatchNormReluTrainGrad, inputs, { groups: 1, epsilon: 1e-5, residual: false });
    expect(() => grad({ dy: x, x, mean, variance, gamma })).toThrow(`${BatchNormReluTrainGrad}: the forward's output y is missing`);
    expect(() => grad({ dy: x, x, mean, variance, gamma, y: tf.ones([4]) })).toThrow(/the forward's output y must be float32 of x's shape/);
    tf.dispose([x, gamma, beta, mean, variance]);
    // The addon itself: offsets are checked against the heap, -1 only where a tensor is optional.
    const addon = loaded.addon!;
    const heap = new Uint8Array(1024); // x [4, 3] is 48 bytes
    const ok = [0, 64, 128, 192, 256, 320] as const;
    expect(() => addon.batchNormReluForward(heap, ...ok, -1, 1, 4, 3, 1e-5)).not.toThrow();
    expect(() => addon.batchNormReluForward(heap, ...ok, 1000, 1, 4, 3, 1e-5)).toThrow('onednn batchNormReluForward: tensor offset outside the heap or misaligned');
    expect(() => addon.batchNormReluForward(heap, -1, 64, 128, 192, 256, 320, -1, 1, 4, 3, 1e-5)).toThrow(/batchNormReluForward: tensor offset outside/);
    expect(() => addon.batchNormReluBackward(heap, 0, 64, 128, 192, 256, 320, 384, 448, 512, -1, 0, 4, 3, 1e-5)).toThrow('onednn batchNormReluBackward: bad geometry');
    const call = addon.batchNormForward as unknown as (...args: unknown[]) => void;
    expect(() => call(heap, 0, 64, 128, 192, 256, 320, 1, 4, 3)).toThrow(/batchNormForward: expected \(heap, offsets/);
  });
});
