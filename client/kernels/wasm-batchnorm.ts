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

/*
 * Every pass walks one channel quad (c..c+3) down the rows at a time, with
 * that quad's sums and constants in local variables: V8 keeps those in
 * registers, where indexing per-channel arrays in an inner loop over C cost
 * 2-3x as much. Channels past the last full quad go one at a time.
 */

/** Sums of d = x - shift and of d^2 over rows base, base+C, ... < end, for channel quad c (into s1, s2). */
function shiftedSums(x: Float32Array, base: number, end: number, C: number, c: number, shift: Float64Array,
  s1: Float64Array, s2: Float64Array): void {
  if (c + 4 > C) {
    const k = shift[c];
    let a = 0;
    let b = 0;
    for (let i = base + c; i < end; i += C) {
      const d = x[i] - k;
      a += d;
      b += d * d;
    }
    s1[c] = a;
    s2[c] = b;
    return;
  }
  const k0 = shift[c], k1 = shift[c + 1], k2 = shift[c + 2], k3 = shift[c + 3];
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
  for (let i = base + c; i < end; i += C) {
    const d0 = x[i] - k0, d1 = x[i + 1] - k1, d2 = x[i + 2] - k2, d3 = x[i + 3] - k3;
    a0 += d0; a1 += d1; a2 += d2; a3 += d3;
    b0 += d0 * d0; b1 += d1 * d1; b2 += d2 * d2; b3 += d3 * d3;
  }
  s1[c] = a0; s1[c + 1] = a1; s1[c + 2] = a2; s1[c + 3] = a3;
  s2[c] = b0; s2[c + 1] = b1; s2[c + 2] = b2; s2[c + 3] = b3;
}

/** out = (x - m) * k + b per channel, for channel quad c. */
function affine(x: Float32Array, out: Float32Array, base: number, end: number, C: number, c: number,
  m: Float32Array, k: Float32Array, b: Float32Array): void {
  if (c + 4 > C) {
    const mc = m[c], kc = k[c], bc = b[c];
    for (let i = base + c; i < end; i += C) out[i] = (x[i] - mc) * kc + bc;
    return;
  }
  const m0 = m[c], m1 = m[c + 1], m2 = m[c + 2], m3 = m[c + 3];
  const k0 = k[c], k1 = k[c + 1], k2 = k[c + 2], k3 = k[c + 3];
  const b0 = b[c], b1 = b[c + 1], b2 = b[c + 2], b3 = b[c + 3];
  for (let i = base + c; i < end; i += C) {
    out[i] = (x[i] - m0) * k0 + b0;
    out[i + 1] = (x[i + 1] - m1) * k1 + b1;
    out[i + 2] = (x[i + 2] - m2) * k2 + b2;
    out[i + 3] = (x[i + 3] - m3) * k3 + b3;
  }
}

/** Sums of dy and of dy * (x - m), for channel quad c (into s1, s2). */
function gradSums(dy: Float32Array, x: Float32Array, base: number, end: number, C: number, c: number, m: Float32Array,
  s1: Float64Array, s2: Float64Array): void {
  if (c + 4 > C) {
    const mc = m[c];
    let a = 0;
    let b = 0;
    for (let i = base + c; i < end; i += C) {
      a += dy[i];
      b += dy[i] * (x[i] - mc);
    }
    s1[c] = a;
    s2[c] = b;
    return;
  }
  const m0 = m[c], m1 = m[c + 1], m2 = m[c + 2], m3 = m[c + 3];
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
  for (let i = base + c; i < end; i += C) {
    const d0 = dy[i], d1 = dy[i + 1], d2 = dy[i + 2], d3 = dy[i + 3];
    a0 += d0; a1 += d1; a2 += d2; a3 += d3;
    b0 += d0 * (x[i] - m0); b1 += d1 * (x[i + 1] - m1); b2 += d2 * (x[i + 2] - m2); b3 += d3 * (x[i + 3] - m3);
  }
  s1[c] = a0; s1[c + 1] = a1; s1[c + 2] = a2; s1[c + 3] = a3;
  s2[c] = b0; s2[c + 1] = b1; s2[c + 2] = b2; s2[c + 3] = b3;
}

/** dx = k1 * (dy - k2 - (x - m) * k3) per channel, for channel quad c. */
function gradInput(dy: Float32Array, x: Float32Array, dx: Float32Array, base: number, end: number, C: number, c: number,
  m: Float32Array, k1: Float32Array, k2: Float32Array, k3: Float32Array): void {
  if (c + 4 > C) {
    const mc = m[c], p = k1[c], q = k2[c], r = k3[c];
    for (let i = base + c; i < end; i += C) dx[i] = p * (dy[i] - q - (x[i] - mc) * r);
    return;
  }
  const m0 = m[c], m1 = m[c + 1], m2 = m[c + 2], m3 = m[c + 3];
  const p0 = k1[c], p1 = k1[c + 1], p2 = k1[c + 2], p3 = k1[c + 3];
  const q0 = k2[c], q1 = k2[c + 1], q2 = k2[c + 2], q3 = k2[c + 3];
  const r0 = k3[c], r1 = k3[c + 1], r2 = k3[c + 2], r3 = k3[c + 3];
  for (let i = base + c; i < end; i += C) {
    dx[i] = p0 * (dy[i] - q0 - (x[i] - m0) * r0);
    dx[i + 1] = p1 * (dy[i + 1] - q1 - (x[i + 1] - m1) * r1);
    dx[i + 2] = p2 * (dy[i + 2] - q2 - (x[i + 2] - m2) * r2);
    dx[i + 3] = p3 * (dy[i + 3] - q3 - (x[i + 3] - m3) * r3);
  }
}

/** Start of each channel quad (then one per leftover channel). */
function quads(C: number): number[] {
  const starts: number[] = [];
  let c = 0;
  for (; c + 4 <= C; c += 4) starts.push(c);
  for (; c < C; c++) starts.push(c);
  return starts;
}

/**
 * y = (x - mean) * gamma / sqrt(variance + eps) + beta per (group, channel);
 * writes y [G*M*C], mean and variance [G*C] (biased variance).
 */
export function batchNormForwardJs(
  g: BatchNormGeometry, x: Float32Array, gamma: Float32Array, beta: Float32Array,
  y: Float32Array, mean: Float32Array, variance: Float32Array,
): void {
  const { groups, rows, channels: C, epsilon } = g;
  const starts = quads(C);
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
    for (const c of starts) shiftedSums(x, base, end, C, c, shift, s1, s2);
    for (let c = 0; c < C; c++) {
      const m = s1[c] / rows;
      mean[gi * C + c] = shift[c] + m;
      variance[gi * C + c] = Math.max(0, s2[c] / rows - m * m);
      center[c] = mean[gi * C + c];
      scale[c] = gamma[c] / Math.sqrt(variance[gi * C + c] + epsilon);
    }
    // (x - mean) * scale + beta, not x * scale + (beta - mean * scale): the
    // latter cancels when |mean| >> std.
    for (const c of starts) affine(x, y, base, end, C, c, center, scale, beta);
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
  const starts = quads(C);
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
    for (const c of starts) gradSums(dy, x, base, end, C, c, m, sdy, sdyx);
    for (let c = 0; c < C; c++) {
      const invstd = 1 / Math.sqrt(variance[gi * C + c] + epsilon);
      bsum[c] += sdy[c];
      gsum[c] += sdyx[c] * invstd;
      k1[c] = gamma[c] * invstd;
      k2[c] = sdy[c] / rows;
      k3[c] = (sdyx[c] / rows) * invstd * invstd;
    }
    for (const c of starts) gradInput(dy, x, dx, base, end, C, c, m, k1, k2, k3);
  }
  for (let c = 0; c < C; c++) {
    dgamma[c] = gsum[c];
    dbeta[c] = bsum[c];
  }
}

const f32 = (backend: BackendWasm, t: TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;

/** The forward kernel's checked geometry and fresh outputs (y, mean, variance). */
export function batchNormForwardOutputs({ inputs: { x, gamma, beta }, backend, attrs }: BatchNormArgs, kernel = BatchNormTrain) {
  const g = batchNormGeometry(kernel, x, [gamma, beta], attrs);
  const y = backend.makeOutput(x.shape, 'float32');
  const mean = backend.makeOutput([g.groups, g.channels], 'float32');
  const variance = backend.makeOutput([g.groups, g.channels], 'float32');
  return { g, y, mean, variance };
}

/** The gradient kernel's checked geometry and fresh outputs (dx, dgamma, dbeta). */
export function batchNormBackwardOutputs({ inputs: { dy, x, mean, variance, gamma }, backend, attrs }: BatchNormArgs, kernel = BatchNormTrainGrad) {
  const g = batchNormGradGeometry({ dy, x, mean, variance, gamma }, attrs, kernel);
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
