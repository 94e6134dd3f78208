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

import { batchNorm, bnDecls } from '../../../client/models/layers.js';
import { createParams, disposeParams } from '../../../client/models/params.js';
import { expectFusedMatchesComposed, runBatchNorm as run, type Outcome } from '../../support/batchnorm-compare.js';

const loaded = loadOneDnn();
const skipReason = loaded.addon === null ? loaded.reason : '';

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
      expectFusedMatchesComposed(cases);
    });
  }

  it('gives the same bits on one and two threads', () => {
    const on = (threads: number): Outcome => {
      registerNativeKernels({ threads });
      // 524k values: every pass is above native/common.h's kParallelMin, so
      // two threads split each of them.
      return run(true, [64, 16, 16, 32], 4, true);
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
