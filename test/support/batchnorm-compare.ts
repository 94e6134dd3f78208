/**
 * The fused training batch norm against the composition of tfjs ops it
 * replaces (client/models/layers.ts), on whatever kernels the wasm backend has
 * registered: y, the batch statistics and the gradients of x, gamma and beta of
 * sum(y * w), through tfjs's gradients or the lean backward pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { useFusedBatchNorm } from '../../client/kernels/batch-norm-op.js';
import { batchNorm, bnDecls, type BatchStat } from '../../client/models/layers.js';
import { createParams, disposeParams, param } from '../../client/models/params.js';
import { leanVariableGrads } from '../../client/optim/lean-grads.js';
import { relErr } from './compare.js';

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

export interface Outcome { y: Float32Array; mean: Float32Array; variance: Float32Array; dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array }

/** y, statistics and gradients of sum(y * w) through `batchNorm`, fused or composed. */
export function runBatchNorm(fused: boolean, shape: number[], groups: number, lean: boolean): Outcome {
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

/**
 * For each [shape, groups] case, with and without the lean backward pass: the
 * fused op leaves no tensor behind and agrees with the composition to `tol`.
 */
export function expectFusedMatchesComposed(cases: [number[], number][], tol = 2e-5): void {
  for (const [shape, groups] of cases) {
    for (const lean of [false, true]) {
      const before = tf.memory().numTensors;
      const fused = runBatchNorm(true, shape, groups, lean);
      expect(tf.memory().numTensors, 'tensors left by the fused step').toBe(before);
      const composed = runBatchNorm(false, shape, groups, lean);
      for (const key of Object.keys(fused) as (keyof Outcome)[]) {
        expect(relErr(fused[key], composed[key]), `${key} of [${shape}] in ${groups} groups${lean ? ', lean' : ''}`).toBeLessThan(tol);
      }
    }
  }
}
