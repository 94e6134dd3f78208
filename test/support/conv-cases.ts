/**
 * Test helper for the convolution kernel suites (wasm gradients, oneDNN): a convolution
 * case, seeded random data and shapes, and the forward output and gradients of a case on
 * a given backend, to compare a kernel against the cpu backend's reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../shared/random.js';

export type ConvPad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

export interface ConvCase {
  n: number; h: number; w: number; ci: number; co: number;
  kh: number; kw: number; strides: [number, number]; pad: ConvPad;
  rounding?: 'floor' | 'ceil' | 'round';
  /** Forward only (tfjs has no conv2d gradient for dilation > 1). */
  dilation?: number;
  /** Forward only: tfjs's conv2d gradient drops dimRoundingMode, so dy would not fit. */
  forwardOnly?: true;
  /**
   * tfjs-backend-wasm 4.22's own *forward* Conv2D is wrong for non-square filters with
   * 'same' padding (its XNNPack SAME-padding path): only the gradients are compared.
   */
  wasmForwardBroken?: true;
}

/** Seeded draws for a suite, so that failures are reproducible. */
export function convRandom(seed: number) {
  const random = new Random(seed);
  const rand = () => random.next();
  return {
    rand,
    pick: <T>(xs: readonly T[]): T => xs[random.int(0, xs.length)],
    randInt: (lo: number, hi: number): number => random.int(lo, hi + 1),
    randArray: (size: number): Float32Array => Float32Array.from({ length: size }, () => rand() * 2 - 1),
  };
}

export type ConvRandom = ReturnType<typeof convRandom>;

/** The rounding a case uses: its own, else floor for numeric pads (tfjs wants one there). */
export const roundingOf = (c: ConvCase): ConvCase['rounding'] =>
  c.rounding ?? (c.pad === 'same' || c.pad === 'valid' || Array.isArray(c.pad) ? undefined : 'floor');

export function outSize(c: ConvCase): [number, number] {
  const info = tf.backend_util.computeConv2DInfo(
    [c.n, c.h, c.w, c.ci], [c.kh, c.kw, c.ci, c.co], c.strides, c.dilation ?? 1, c.pad, roundingOf(c));
  return [info.outHeight, info.outWidth];
}

export interface ConvGrads { y: Float32Array; dx?: Float32Array; dw?: Float32Array }

/** Forward output and, unless the case is forward-only, vector-Jacobian products (dy given) on `backend`. */
export async function convGrads(backend: string, c: ConvCase, xv: Float32Array, wv: Float32Array, dyv: Float32Array): Promise<ConvGrads> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]);
    const w = tf.tensor4d(wv, [c.kh, c.kw, c.ci, c.co]);
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor4D =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dilation ?? 1, roundingOf(c));
    const y = f(x, w);
    if ((c.dilation ?? 1) !== 1 || c.forwardOnly) return { y: y.dataSync() as Float32Array };
    const [dx, dw] = tf.grads(f)([x, w], tf.tensor(dyv, y.shape));
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

/** The same random input, filter and output gradient of a case on `backend` and on cpu. */
export async function againstCpu(backend: string, c: ConvCase, r: ConvRandom): Promise<{ got: ConvGrads; ref: ConvGrads }> {
  const [ho, wo] = outSize(c);
  const xv = r.randArray(c.n * c.h * c.w * c.ci);
  const wv = r.randArray(c.kh * c.kw * c.ci * c.co);
  const dyv = r.randArray(c.n * ho * wo * c.co);
  const got = await convGrads(backend, c, xv, wv, dyv);
  const ref = await convGrads('cpu', c, xv, wv, dyv);
  await tf.setBackend(backend);
  return { got, ref };
}

/** The grid random cases are drawn from. */
export interface ConvGrid {
  /** Kernel sizes a stride may take. */
  kernels: (stride: 1 | 2) => readonly number[];
  sizes: readonly number[];
  maxBatch: number;
  maxChannels: number;
}

/** `count` random square-kernel cases over `grid`: strides 1/2, same/valid (valid only where the kernel fits). */
export function randomConvCases(count: number, grid: ConvGrid, r: ConvRandom): ConvCase[] {
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const s = r.pick([1, 2] as const);
    const k = r.pick(grid.kernels(s));
    const pad = r.pick(['same', 'valid'] as const);
    const h = r.pick(grid.sizes);
    const w = r.pick(grid.sizes);
    if (pad === 'valid' && (h < k || w < k)) continue;
    cases.push({ n: r.randInt(1, grid.maxBatch), h, w, ci: r.randInt(1, grid.maxChannels), co: r.randInt(1, grid.maxChannels), kh: k, kw: k, strides: [s, s], pad });
  }
  return cases;
}
