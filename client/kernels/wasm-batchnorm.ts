/**
 * The fused training batch norm (./batch-norm-op.ts) for the wasm backend
 * *without* the oneDNN addon: plain JavaScript loops over the wasm heap.
 *
 * Why: composed of tfjs ops, a batch norm and its gradient cost about thirty
 * wasm kernel calls, several of which (Sum / Mean over N, H, W; [N,H,W,C] op
 * [C] broadcasts) transpose or take a generic slow path; on the small MoCo
 * configuration they were a quarter of the wasm-only step. Here the forward
 * pass reads x twice and writes y once, the gradient reads dy and x twice and
 * writes dx once.
 *
 * x is any [batch, ..., C] float32 tensor, seen as [groups, rows, C]. Sums are
 * taken in doubles; the variance in one pass over x shifted by a per-channel
 * estimate of the mean (the mean of the group's first rows), which keeps
 * E[(x-K)^2] - E[x-K]^2 exact where the unshifted form would cancel.
 */
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  BatchNormTrain, BatchNormTrainGrad, batchNormGeometry, batchNormGradGeometry, type BatchNormGeometry,
} from './batch-norm-op.js';

export interface BatchNormArgs { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs?: NamedAttrMap }

/** Rows whose mean is the variance pass's shift. */
const SHIFT_ROWS = 64;

/**
 * y = (x - mean) * gamma / sqrt(variance + eps) + beta per (group, channel);
 * writes y [G*M*C], mean and variance [G*C] (biased variance).
 */
export function batchNormForwardJs(
  g: BatchNormGeometry, x: Float32Array, gamma: Float32Array, beta: Float32Array,
  y: Float32Array, mean: Float32Array, variance: Float32Array,
): void {
  const { groups, rows, channels: C, epsilon } = g;
  const shift = new Float64Array(C);
  const s1 = new Float64Array(C);
  const s2 = new Float64Array(C);
  const center = new Float32Array(C);
  const scale = new Float32Array(C);
  for (let gi = 0; gi < groups; gi++) {
    const base = gi * rows * C;
    const end = base + rows * C;
    const head = Math.min(rows, SHIFT_ROWS);
    shift.fill(0);
    for (let i = base, e = base + head * C; i < e; i += C) {
      for (let c = 0; c < C; c++) shift[c] += x[i + c];
    }
    for (let c = 0; c < C; c++) shift[c] = Math.fround(shift[c] / head);
    s1.fill(0);
    s2.fill(0);
    for (let i = base; i < end; i += C) {
      for (let c = 0; c < C; c++) {
        const d = x[i + c] - shift[c];
        s1[c] += d;
        s2[c] += d * d;
      }
    }
    for (let c = 0; c < C; c++) {
      const m = s1[c] / rows;
      const v = Math.max(0, s2[c] / rows - m * m);
      mean[gi * C + c] = shift[c] + m;
      variance[gi * C + c] = v;
      center[c] = mean[gi * C + c];
      scale[c] = gamma[c] / Math.sqrt(variance[gi * C + c] + epsilon);
    }
    // (x - mean) * scale + beta, not x * scale + (beta - mean * scale): the
    // latter cancels when |mean| >> std.
    for (let i = base; i < end; i += C) {
      for (let c = 0; c < C; c++) y[i + c] = (x[i + c] - center[c]) * scale[c] + beta[c];
    }
  }
}

/**
 * Gradient of {@link batchNormForwardJs} (with the statistics it returned):
 * dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)) per group,
 * dgamma = sum(dy * xhat), dbeta = sum(dy) over every group.
 */
export function batchNormBackwardJs(
  g: BatchNormGeometry, dy: Float32Array, x: Float32Array, mean: Float32Array, variance: Float32Array,
  gamma: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const { groups, rows, channels: C, epsilon } = g;
  const sdy = new Float64Array(C);
  const sdyx = new Float64Array(C);
  const gsum = new Float64Array(C);
  const bsum = new Float64Array(C);
  const m = new Float32Array(C);
  const k1 = new Float32Array(C);
  const k2 = new Float32Array(C);
  const k3 = new Float32Array(C);
  for (let gi = 0; gi < groups; gi++) {
    const base = gi * rows * C;
    const end = base + rows * C;
    for (let c = 0; c < C; c++) m[c] = mean[gi * C + c];
    sdy.fill(0);
    sdyx.fill(0);
    for (let i = base; i < end; i += C) {
      for (let c = 0; c < C; c++) {
        const d = dy[i + c];
        sdy[c] += d;
        sdyx[c] += d * (x[i + c] - m[c]);
      }
    }
    for (let c = 0; c < C; c++) {
      const invstd = 1 / Math.sqrt(variance[gi * C + c] + epsilon);
      bsum[c] += sdy[c];
      gsum[c] += sdyx[c] * invstd;
      k1[c] = gamma[c] * invstd;
      k2[c] = sdy[c] / rows;
      k3[c] = (sdyx[c] / rows) * invstd * invstd;
    }
    for (let i = base; i < end; i += C) {
      for (let c = 0; c < C; c++) dx[i + c] = k1[c] * (dy[i + c] - k2[c] - (x[i + c] - m[c]) * k3[c]);
    }
  }
  for (let c = 0; c < C; c++) {
    dgamma[c] = gsum[c];
    dbeta[c] = bsum[c];
  }
}

const f32 = (backend: BackendWasm, t: TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;

/** The forward kernel's checked geometry and fresh outputs (y, mean, variance). */
export function batchNormForwardOutputs({ inputs: { x, gamma, beta }, backend, attrs }: BatchNormArgs) {
  const g = batchNormGeometry(BatchNormTrain, x, [gamma, beta], attrs);
  const y = backend.makeOutput(x.shape, 'float32');
  const mean = backend.makeOutput([g.groups, g.channels], 'float32');
  const variance = backend.makeOutput([g.groups, g.channels], 'float32');
  return { g, y, mean, variance };
}

/** The gradient kernel's checked geometry and fresh outputs (dx, dgamma, dbeta). */
export function batchNormBackwardOutputs({ inputs: { dy, x, mean, variance, gamma }, backend, attrs }: BatchNormArgs) {
  const g = batchNormGradGeometry({ dy, x, mean, variance, gamma }, attrs);
  const dx = backend.makeOutput(x.shape, 'float32');
  const dgamma = backend.makeOutput(gamma.shape, 'float32');
  const dbeta = backend.makeOutput(gamma.shape, 'float32');
  return { g, dx, dgamma, dbeta };
}

const forward = (args: BatchNormArgs): TensorInfo[] => {
  const { inputs: { x, gamma, beta }, backend } = args;
  const { g, y, mean, variance } = batchNormForwardOutputs(args);
  // Views after every makeOutput: an allocation may grow (replace) the heap.
  batchNormForwardJs(g, f32(backend, x), f32(backend, gamma), f32(backend, beta),
    f32(backend, y), f32(backend, mean), f32(backend, variance));
  return [y, mean, variance];
};

const backward = (args: BatchNormArgs): TensorInfo[] => {
  const { inputs: { dy, x, mean, variance, gamma }, backend } = args;
  const { g, dx, dgamma, dbeta } = batchNormBackwardOutputs(args);
  batchNormBackwardJs(g, f32(backend, dy), f32(backend, x), f32(backend, mean), f32(backend, variance),
    f32(backend, gamma), f32(backend, dx), f32(backend, dgamma), f32(backend, dbeta));
  return [dx, dgamma, dbeta];
};

/** The two kernels, keyed by kernel name. */
export const wasmBatchNormKernels: Record<string, KernelFunc> = {
  [BatchNormTrain]: forward as unknown as KernelFunc,
  [BatchNormTrainGrad]: backward as unknown as KernelFunc,
};
