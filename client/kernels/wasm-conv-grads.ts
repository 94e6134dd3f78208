/**
 * Fast Conv2D gradients for the tfjs **wasm** backend.
 *
 * Why: in tfjs-backend-wasm 4.22 `Conv2DBackpropFilter` is not registered at
 * all (training any conv net on wasm throws), and the registered
 * `Conv2DBackpropInput` is a naive loop (~2-6 GFLOP/s), while the forward
 * `Conv2D` kernel (XNNPack) runs at ~25-45 GFLOP/s. Both gradients are
 * themselves convolutions, so we rewrite them as forward Conv2D calls plus a
 * few cheap data-movement kernels (Transpose / Concat / Fill / Reshape)
 * taken from the kernel registry, plus heap-to-heap copies (crop, gather of
 * filter taps) where the registered wasm kernels are slow JavaScript loops.
 *
 * Layout: NHWC only, dilation 1 only (tfjs' Conv2D gradient rejects
 * dilation > 1 anyway), any stride, and 'same' / 'valid' / numeric / explicit
 * padding with any dimRoundingMode. The per-axis index math lives in
 * `conv-grad-plan.ts`; this file turns those plans into kernel calls.
 */
import {
  backend_util, Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput, getKernel, registerKernel,
  unregisterKernel,
  type Conv2DBackpropFilterAttrs, type Conv2DBackpropInputAttrs, type KernelConfig, type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { planFilterGradAxis, planInputGradAxis } from './conv-grad-plan.js';
import { WasmKernelCalls, type NhwcPadding } from './wasm-kernel-calls.js';

type Shape4 = [number, number, number, number];

interface GradArgs {
  strides: Conv2DBackpropFilterAttrs['strides'];
  pad: Conv2DBackpropFilterAttrs['pad'];
  dataFormat: Conv2DBackpropFilterAttrs['dataFormat'];
  dimRoundingMode?: Conv2DBackpropFilterAttrs['dimRoundingMode'];
}

/**
 * Geometry of the forward convolution whose gradient is requested, computed
 * exactly as tfjs does (so 'same' with an odd total pad puts the extra row at
 * the bottom / right, numeric pads honour dimRoundingMode, ...).
 */
function forwardInfo(
  kernel: string, xShape: Shape4, filterShape: Shape4, dyShape: number[],
  attrs: GradArgs & { dilations?: unknown },
): backend_util.Conv2DInfo {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(`wasm ${kernel}: only dataFormat 'NHWC' is supported, got '${attrs.dataFormat}'`);
  }
  // The tfjs attrs carry no dilation; accept one only if it is 1 (a caller
  // passing dilation > 1 would otherwise get silently wrong gradients).
  const d = attrs.dilations;
  if (d !== undefined && d !== null && !(Array.isArray(d) ? d.every((v) => v === 1) : d === 1)) {
    throw new Error(`wasm ${kernel}: dilations > 1 are not supported (got ${String(d)})`);
  }
  const info = backend_util.computeConv2DInfo(
    xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const expected = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dyShape.length !== 4 || expected.some((v, i) => v !== dyShape[i])) {
    throw new Error(
      `wasm ${kernel}: dy shape [${dyShape}] does not match the forward output [${expected}] ` +
      `of x [${xShape}] * filter [${filterShape}]`);
  }
  return info;
}

function assertFloat32(kernel: string, ...ts: TensorInfo[]): void {
  for (const t of ts) {
    if (t.dtype !== 'float32') throw new Error(`wasm ${kernel}: expected float32, got ${t.dtype}`);
  }
}

/**
 * dW[p,q,ci,co] = sum_{n,i,j} xpad[n, s_h*i + p, s_w*j + q, ci] * dy[n,i,j,co].
 *
 * Swap the roles of batch and channels: xT = [Ci, H, W, N] is an NHWC image
 * with batch Ci and N channels, dyT = [Ho, Wo, N, Co] is a filter with N input
 * and Co output channels. A forward conv of xT with dyT, stride 1 and
 * *filter dilation* = forward stride, computes
 *   out[ci,p,q,co] = sum_{i,j,n} xT[ci, p + s_h*i, q + s_w*j, n] * dyT[i,j,n,co]
 * which is dW laid out as [Ci, kh, kw, Co]; one more transpose gives
 * [kh, kw, Ci, Co]. Zero padding / cropping of x so that the result is
 * exactly kh x kw comes from planFilterGradAxis (the crop only ever drops
 * trailing rows/cols that the forward conv never read).
 *
 * The transposes are split into steps the wasm Transpose kernel is fast at
 * (its 2-D and "swap two outer axes" cases; a direct 4-D [3,1,2,0] is ~4x
 * slower), and the crop happens in [H, W, Ci*N] layout where every kept pixel
 * row is one contiguous run.
 */
function conv2dBackpropFilterWasm(
  args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Conv2DBackpropFilterAttrs },
): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const name = Conv2DBackpropFilter;
  assertFloat32(name, x, dy);
  const info = forwardInfo(name, x.shape as Shape4, attrs.filterShape, dy.shape, attrs);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw } = info;
  const rows = planFilterGradAxis(h, ho, kh, info.strideHeight, info.padInfo.top);
  const cols = planFilterGradAxis(w, wo, kw, info.strideWidth, info.padInfo.left);

  const ops = new WasmKernelCalls(backend);
  try {
    // Only possible with explicit padding wider than the input: no x element
    // ever meets a filter tap, so the gradient is exactly zero.
    if (rows.sliceSize <= 0 || cols.sliceSize <= 0) return ops.keep(ops.zeros(attrs.filterShape));

    // x [N, H*W*Ci] -> [H*W*Ci, N], i.e. [H, W, Ci, N]; crop unused rows/cols.
    const xHWCN = ops.reshape(ops.transpose(ops.reshape(x, [n, h * w * ci]), [1, 0]), [1, h, w, ci * n]);
    const used = ops.cropSpatial(xHWCN, rows.sliceBegin, rows.sliceSize, cols.sliceBegin, cols.sliceSize);
    const hw = rows.sliceSize * cols.sliceSize;
    // [h*w, Ci, N] -> [Ci, h*w, N] = the image xT [Ci, h, w, N].
    const xT = ops.reshape(ops.transpose(ops.reshape(used, [hw, ci, n]), [1, 0, 2]),
      [ci, rows.sliceSize, cols.sliceSize, n]);
    // dy [N, Ho*Wo, Co] -> [Ho*Wo, N, Co] = the filter dyT [Ho, Wo, N, Co].
    const dyT = ops.reshape(ops.transpose(ops.reshape(dy, [n, ho * wo, co]), [1, 0, 2]), [ho, wo, n, co]);
    const pad: NhwcPadding = [[0, 0], [rows.padBefore, rows.padAfter], [cols.padBefore, cols.padAfter], [0, 0]];
    const g = ops.conv2d(xT, dyT, pad, [info.strideHeight, info.strideWidth]); // [Ci, kh, kw, Co]
    // [Ci, kh*kw, Co] -> [kh*kw, Ci, Co] = dW [kh, kw, Ci, Co].
    const dW = ops.transpose(ops.reshape(g, [ci, kh * kw, co]), [1, 0, 2]);
    return ops.keep(ops.reshape(dW, attrs.filterShape));
  } finally {
    ops.disposeTemps();
  }
}

/**
 * dx[n,r,c,ci] = sum over (i,p), (j,q) with s_h*i+p = r+pt, s_w*j+q = c+pl of
 * dy[n,i,j,co] * W[p,q,ci,co]  (the transposed convolution).
 *
 * Stride 1: a single forward conv of dy with the spatially flipped filter
 * whose in/out channels are swapped (Wf[f,g,co,ci] = W[kh-1-f, kw-1-g, ci, co]),
 * padded by kh-1-pt on top etc. (planInputGradAxis with s = 1).
 *
 * Stride s > 1: instead of inserting s-1 zeros between dy rows (which would
 * waste ~(1 - 1/s^2) of the FLOPs on zeros), split dx by (r mod s, c mod s).
 * Each of the s_h*s_w phases only meets the taps p ≡ r+pt (mod s), a strided
 * sub-filter of Wf, and is a plain stride-1 conv of (cropped/padded) dy. All
 * phases are computed at the same size qh x qw = ceil(H/s) x ceil(W/s) and
 * then interleaved back, see {@link interleavePhases}.
 */
function conv2dBackpropInputWasm(
  args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Conv2DBackpropInputAttrs },
): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const name = Conv2DBackpropInput;
  assertFloat32(name, dy, filter);
  const info = forwardInfo(name, attrs.inputShape, filter.shape as Shape4, dy.shape, attrs);
  const { batchSize: n, inChannels: ci, outChannels: co, strideHeight: sh, strideWidth: sw } = info;
  const rows = planInputGradAxis(info.inHeight, info.outHeight, info.filterHeight, sh, info.padInfo.top);
  const cols = planInputGradAxis(info.inWidth, info.outWidth, info.filterWidth, sw, info.padInfo.left);

  const ops = new WasmKernelCalls(backend);
  try {
    // Per-tap blocks with in/out channels swapped: [kh*kw, Co, Ci].
    const kh = info.filterHeight;
    const kw = info.filterWidth;
    const taps = ops.reshape(ops.transpose(ops.reshape(filter, [kh * kw, ci, co]), [0, 2, 1]), [kh * kw, co * ci]);
    const parts: TensorInfo[] = []; // phase (rho_h, rho_w) at index rho_h*sw + rho_w
    for (const rp of rows.phases) {
      for (const cp of cols.phases) {
        if (rp.taps === 0 || cp.taps === 0 || rp.sliceSize <= 0 || cp.sliceSize <= 0) {
          // e.g. 1x1 filter, stride 2: odd rows never receive any gradient.
          parts.push(ops.zeros([n, rows.perPhase, cols.perPhase, ci]));
          continue;
        }
        // Sub-filter tap m' is flipped-filter tap tapStart + s*m', i.e. original
        // tap k-1-(tapStart + s*m'): gather those [Co, Ci] blocks in order.
        const tapRows: number[] = [];
        for (let a = 0; a < rp.taps; a++) {
          for (let b = 0; b < cp.taps; b++) {
            tapRows.push((kh - 1 - (rp.tapStart + sh * a)) * kw + (kw - 1 - (cp.tapStart + sw * b)));
          }
        }
        const sub = ops.reshape(ops.gatherRows(taps, tapRows), [rp.taps, cp.taps, co, ci]);
        const src = ops.cropSpatial(dy, rp.sliceBegin, rp.sliceSize, cp.sliceBegin, cp.sliceSize);
        const pad: NhwcPadding = [[0, 0], [rp.padBefore, rp.padAfter], [cp.padBefore, cp.padAfter], [0, 0]];
        parts.push(ops.conv2d(src, sub, pad, [1, 1])); // [N, qh, qw, Ci]
      }
    }
    return ops.keep(interleavePhases(ops, parts, [sh, sw], [n, info.inHeight, info.inWidth, ci]));
  } finally {
    ops.disposeTemps();
  }
}

/**
 * Reassemble dx [N, H, W, C] from its phases: parts[rh*sw + rw] is
 * [N, qh, qw, C] holding dx[n, sh*j + rh, sw*l + rw, c] at [n, j, l, c].
 *
 * Conceptually stack to [sh, sw, N, qh, qw, C] and transpose to
 * [N, qh, sh, qw, sw, C]; the wasm Transpose kernel is very slow above rank 4
 * (~50 ms per 1M floats), so do it as two cheap rank-4/3 steps:
 *  1. per rh: [sw, N*qh, qw, C] -> [N*qh, qw, sw, C] (interleave columns),
 *     crop the qw*sw columns to W (each row is one contiguous run);
 *  2. [sh, N*qh, W*C] -> [N*qh, sh, W*C] = [N, qh*sh, W, C] (interleave
 *     rows), crop to H rows.
 * Rows/cols past H/W only exist because every phase has the same size.
 */
function interleavePhases(
  ops: WasmKernelCalls, parts: TensorInfo[], [sh, sw]: [number, number], [n, h, w, c]: Shape4,
): TensorInfo {
  const [, qh, qw] = parts[0].shape;
  if (parts.length === 1) return parts[0]; // stride 1: qh = H, qw = W already
  const rowGroups: TensorInfo[] = []; // each [N*qh, W*C]
  for (let rh = 0; rh < sh; rh++) {
    const group = parts.slice(rh * sw, rh * sw + sw);
    const cols = sw === 1 ? group[0]
      : ops.transpose(ops.reshape(ops.concat(group, 0), [sw, n * qh, qw, c]), [1, 2, 0, 3]);
    const wide = ops.reshape(cols, [1, n * qh, qw * sw, c]);
    rowGroups.push(ops.reshape(ops.cropSpatial(wide, 0, n * qh, 0, w), [n * qh, w * c]));
  }
  const rowsInterleaved = sh === 1 ? rowGroups[0]
    : ops.transpose(ops.reshape(ops.concat(rowGroups, 0), [sh, n * qh, w * c]), [1, 0, 2]);
  const tall = ops.reshape(rowsInterleaved, [n, qh * sh, w, c]);
  return ops.cropSpatial(tall, 0, h, 0, w);
}

const filterKernelFunc = conv2dBackpropFilterWasm as unknown as KernelFunc;
const inputKernelFunc = conv2dBackpropInputWasm as unknown as KernelFunc;

/** The wasm backend's own Conv2DBackpropInput, kept so it can be restored. */
let builtinBackpropInput: KernelConfig | undefined;

function replaceKernel(kernelName: string, kernelFunc: KernelFunc): void {
  if (getKernel(kernelName, 'wasm') !== undefined) unregisterKernel(kernelName, 'wasm');
  registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}

/**
 * Register fast `Conv2DBackpropFilter` and `Conv2DBackpropInput` kernels for
 * the tfjs `wasm` backend, built on its XNNPack forward `Conv2D` kernel.
 *
 * Call after `@tensorflow/tfjs-backend-wasm` has been imported (its module
 * body registers the kernels we build on, and would otherwise overwrite our
 * Conv2DBackpropInput). Safe to call any number of times; other backends are
 * untouched. Supports NHWC, dilation 1, any stride and any padding mode;
 * other cases throw a descriptive error when the gradient is computed.
 *
 * @throws if the wasm backend's kernels are not registered yet.
 */
export function registerWasmConvGradients(): void {
  if (getKernel(Conv2D, 'wasm') === undefined) {
    throw new Error(
      "registerWasmConvGradients: wasm Conv2D kernel missing; import '@tensorflow/tfjs-backend-wasm' first");
  }
  const currentInput = getKernel(Conv2DBackpropInput, 'wasm');
  if (currentInput?.kernelFunc === inputKernelFunc &&
      getKernel(Conv2DBackpropFilter, 'wasm')?.kernelFunc === filterKernelFunc) {
    return; // already installed
  }
  if (currentInput !== undefined && currentInput.kernelFunc !== inputKernelFunc) {
    builtinBackpropInput = currentInput;
  }
  replaceKernel(Conv2DBackpropFilter, filterKernelFunc);
  replaceKernel(Conv2DBackpropInput, inputKernelFunc);
}

/**
 * Undo {@link registerWasmConvGradients}: remove our kernels and restore the
 * wasm backend's original `Conv2DBackpropInput` (wasm has no
 * `Conv2DBackpropFilter` of its own, so that one is simply removed).
 * A no-op if our kernels are not installed.
 */
export function unregisterWasmConvGradients(): void {
  if (getKernel(Conv2DBackpropFilter, 'wasm')?.kernelFunc === filterKernelFunc) {
    unregisterKernel(Conv2DBackpropFilter, 'wasm');
  }
  if (getKernel(Conv2DBackpropInput, 'wasm')?.kernelFunc === inputKernelFunc) {
    unregisterKernel(Conv2DBackpropInput, 'wasm');
    if (builtinBackpropInput !== undefined) registerKernel(builtinBackpropInput);
  }
}

/**
 * The wasm backend's built-in `Conv2DBackpropInput` kernel config as it was
 * before {@link registerWasmConvGradients} replaced it (for benchmarks and
 * A/B checks); undefined if registration never replaced one.
 */
export function builtinWasmConv2DBackpropInput(): KernelConfig | undefined {
  return builtinBackpropInput;
}

/** Kernel functions, exported for direct benchmarking / testing. */
export const wasmConvGradKernels = {
  conv2DBackpropFilter: filterKernelFunc,
  conv2DBackpropInput: inputKernelFunc,
} as const;
