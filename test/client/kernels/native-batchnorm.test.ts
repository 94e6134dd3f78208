/**
 * The fused training batch norm (client/kernels/batch-norm-op.ts on the
 * addon's kernels, native/batchnorm.cc) against the composition of tfjs ops it
 * replaces (client/models/layers.ts): outputs, batch statistics and the
 * gradients of x, gamma and beta agree to float32 precision, on one and two
 * threads, with and without ghost-batch groups, through tfjs's gradients and
 * the lean backward pass; results do not depend on the thread count; no
 * tensor is left behind. Skipped where the addon is not built.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fusedBatchNormActive, useFusedBatchNorm } from '../../../client/kernels/batch-norm-op.js';
import { loadOneDnn } from '../../../client/kernels/native/onednn.js';
import { registerNativeKernels, unregisterNativeKernels } from '../../../client/kernels/native/register.js';
import { registerWasmConvGradients } from '../../../client/kernels/wasm-conv-grads.js';
import { batchNorm, bnDecls, type BatchStat } from '../../../client/models/layers.js';
import { createParams, disposeParams, param } from '../../../client/models/params.js';
import { leanVariableGrads } from '../../../client/optim/lean-grads.js';
import { relErr } from '../../support/compare.js';

const loaded = loadOneDnn();
const skipReason = loaded.addon === null ? loaded.reason : '';

let seed = 11;
function values(n: number, scale = 2, shift = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = ((seed / 4294967296) * 2 - 1) * scale + shift;
  }
  return out;
}
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

let variables = 0;

interface Outcome { y: Float32Array; mean: Float32Array; variance: Float32Array; dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array }

/** y, statistics and gradients of sum(y * w) through `batchNorm`, fused or composed. */
function run(fused: boolean, shape: number[], groups: number, lean: boolean): Outcome {
  seed = 11;
  useFusedBatchNorm(fused);
  const channels = shape[shape.length - 1];
  const p = createParams(bnDecls('bn', channels), 0, 'torch-default');
  tf.tidy(() => {
    param(p, 'bn.gamma').assign(tf.tensor1d(values(channels, 0.5, 1)));
    param(p, 'bn.beta').assign(tf.tensor1d(values(channels)));
  });
  // An offset far from 0 in one channel: a one-pass variance would lose it.
  const xv = values(size(shape), 3);
  for (let i = 0; i < xv.length; i += channels) xv[i] += 1000;
  const x = tf.tidy(() => tf.variable(tf.tensor(xv, shape), true, `x${++variables}`));
  const w = tf.tensor(values(size(shape)), shape);
  const stats: BatchStat[] = [];
  let y: tf.Tensor | null = null;
  const f = (): tf.Scalar => {
    const out = batchNorm(p, 'bn', x, { training: true, bnGroups: groups, stats });
    y = tf.keep(out.clone());
    return tf.sum(tf.mul(out, w));
  };
  const vars = [x, param(p, 'bn.gamma'), param(p, 'bn.beta')];
  const { value, grads } = lean ? leanVariableGrads(f, vars) : tf.variableGrads(f, vars);
  const read = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;
  const outcome: Outcome = {
    y: read(y!), mean: read(stats[0].mean), variance: read(stats[0].variance),
    dx: read(grads[vars[0].name]), dgamma: read(grads[vars[1].name]), dbeta: read(grads[vars[2].name]),
  };
  tf.dispose([value, ...Object.values(grads), y!, x, w, stats[0].mean, stats[0].variance]);
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

describe.skipIf(skipReason !== '')(`fused training batch norm${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const cases: [number[], number][] = [[[8, 9, 7, 16], 1], [[8, 9, 7, 16], 4], [[64, 33], 2], [[130, 5, 5, 3], 2]];
  for (const threads of [1, 2]) {
    it(`matches the composed batch norm on ${threads} thread(s): values, statistics, gradients`, () => {
      expect(registerNativeKernels({ threads })).toMatchObject({ ok: true });
      for (const [shape, groups] of cases) {
        for (const lean of [false, true]) {
          const before = tf.memory().numTensors;
          const fused = run(true, shape, groups, lean);
          expect(tf.memory().numTensors, 'tensors left by the fused step').toBe(before);
          const composed = run(false, shape, groups, lean);
          for (const key of Object.keys(fused) as (keyof Outcome)[]) {
            expect(relErr(fused[key], composed[key]), `${key} of [${shape}] in ${groups} groups${lean ? ', lean' : ''}`).toBeLessThan(2e-5);
          }
        }
      }
    });
  }

  it('gives the same bits on one and two threads', () => {
    const on = (threads: number): Outcome => {
      registerNativeKernels({ threads });
      return run(true, [64, 16, 16, 8], 4, true);
    };
    const one = on(1);
    const two = on(2);
    for (const key of Object.keys(one) as (keyof Outcome)[]) expect(Array.from(two[key]), key).toEqual(Array.from(one[key]));
  });

  it('is used only when asked for, and only where the backend has its kernels', async () => {
    registerNativeKernels({ threads: 1 });
    expect(fusedBatchNormActive()).toBe(false);
    useFusedBatchNorm(true);
    expect(fusedBatchNormActive()).toBe(true);
    await tf.setBackend('cpu');
    expect(fusedBatchNormActive()).toBe(false);
    await tf.setBackend('wasm');
    unregisterNativeKernels();
    expect(fusedBatchNormActive()).toBe(false);
  });

  it('refuses inputs that do not fit, naming them', () => {
    registerNativeKernels({ threads: 1 });
    useFusedBatchNorm(true);
    const p = createParams(bnDecls('bn', 4), 0, 'torch-default');
    const x = tf.ones([6, 5]);
    expect(() => batchNorm(p, 'bn', x, { training: true, bnGroups: 1 })).toThrow(/per-channel tensor of shape \[4\] for 5 channels/);
    tf.dispose(x);
    disposeParams(p);
  });
});
