/**
 * oneDNN convolutions as the tfjs **wasm** backend's `Conv2D`,
 * `Conv2DBackpropInput` and `Conv2DBackpropFilter` kernels.
 *
 * Why: the wasm convolutions run at ~17-30 GFLOP/s on one core; oneDNN (the
 * library PyTorch's CPU convolutions use) reaches several times that. The
 * addon (native/conv.cc) works in place on the wasm heap: it reads the
 * inputs at their heap offsets and writes into the output tensor that
 * `makeOutput` allocated, so no tensor is copied.
 *
 * Geometry comes from tfjs's own `computeConv2DInfo` (so 'same' / 'valid' /
 * numeric / explicit pads and dimRoundingMode mean what they mean in tfjs);
 * oneDNN gets explicit pads. What the addon does not do (non-float32,
 * NCHW) goes to the kernel that was registered before ours.
 */
import {
  backend_util, Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput,
  type KernelFunc, type NamedAttrMap, type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { batchSplitFlag } from './batch-split.js';
import { chooseLayout } from './layout.js';
import { winogradFlag } from './conv-algorithm.js';
import { registerNativeOpKernels, unregisterNativeOpKernels } from './ops.js';
import { KernelOverrides } from '../kernel-overrides.js';
import { ConvKind, loadOneDnn, PARAM_COUNT, type ConvKindValue, type OneDnnAddon } from './onednn.js';

type Shape4 = [number, number, number, number];
type Attrs = NamedAttrMap & {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape?: Shape4;
  filterShape?: Shape4;
};
interface Args { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: Attrs }

const NAMES = [Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter] as const;

/** What was registered before us, per kernel name: the fallback and what unregister restores. */
const overrides = new KernelOverrides('native', () => FUNCS);
let addon: OneDnnAddon | null = null;
const params = new Int32Array(PARAM_COUNT); // reused: conv calls are synchronous

/** Fills `params` for the addon from tfjs's conv info. */
function fillParams(info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outChannels, filterHeight, filterWidth } = info;
  const { outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  // oneDNN derives the output size from the pads with the same floor formula as
  // tfjs; the far-side pad is set to exactly what the last output reads (tfjs's
  // own can be one too many, e.g. 'valid' stride 2 on an even size, or too few
  // with dimRoundingMode 'ceil'). Never negative: for floor rounding the
  // excess is < stride, which the floor absorbs.
  const reachH = (outHeight - 1) * strideHeight + (filterHeight - 1) * dilationHeight + 1;
  const reachW = (outWidth - 1) * strideWidth + (filterWidth - 1) * dilationWidth + 1;
  const padBottom = Math.max(0, reachH - inHeight - padInfo.top);
  const padRight = Math.max(0, reachW - inWidth - padInfo.left);
  params.set([
    batchSize, inHeight, inWidth, inChannels, outChannels, filterHeight, filterWidth, outHeight, outWidth,
    strideHeight, strideWidth, padInfo.top, padInfo.left, padBottom, padRight, dilationHeight, dilationWidth, 0,
  ]);
}

/** The Emscripten module's current byte view of the wasm memory (its typings omit the HEAP views). */
function heapOf(backend: BackendWasm): Uint8Array {
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8;
}

function offset(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

/** Runs one oneDNN convolution into a fresh output of `outShape`. */
function run(kind: ConvKindValue, backend: BackendWasm, a: TensorInfo, b: TensorInfo, outShape: number[],
  info: backend_util.Conv2DInfo): TensorInfo {
  const out = backend.makeOutput(outShape, 'float32');
  const sizes = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels,
    info.filterHeight, info.filterWidth, info.outHeight, info.outWidth];
  if (sizes.some((s) => s === 0)) {
    // Empty output, or an empty sum (e.g. dW of a zero batch): zeros.
    if (outShape.every((s) => s > 0)) backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  fillParams(info);
  params[PARAM_COUNT - 1] = chooseLayout(kind, params) | winogradFlag(kind, params) | batchSplitFlag(params);
  // Fetched after makeOutput: allocating may grow the wasm memory and so
  // replace its ArrayBuffer.
  addon!.conv(kind, heapOf(backend), offset(backend, a), offset(backend, b), offset(backend, out), params);
  return out;
}

/** The kernel registered before ours, for cases the addon does not handle. */
function fallback(name: string, args: Args, why: string): TensorInfo {
  return overrides.fallback(name, args, why);
}

function unsupported(attrs: Attrs, ...ts: TensorInfo[]): string | undefined {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') return `dataFormat ${attrs.dataFormat}`;
  if (ts.some((t) => t.dtype !== 'float32')) return 'non-float32 input';
  return undefined;
}

function convInfo(xShape: Shape4, filterShape: Shape4, attrs: Attrs, dilations: Attrs['dilations']): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, dilations ?? 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast');
}

function checkDy(name: string, dy: TensorInfo, info: backend_util.Conv2DInfo): void {
  const expected = info.outShape;
  if (dy.shape.length !== 4 || expected.some((v, i) => v !== dy.shape[i])) {
    throw new Error(`native ${name}: dy shape [${dy.shape}] does not match the forward output [${expected}]`);
  }
}

const conv2d = (args: Args): TensorInfo => {
  const { inputs: { x, filter }, backend, attrs } = args;
  const why = unsupported(attrs, x, filter);
  if (why) return fallback(Conv2D, args, why);
  const info = convInfo(x.shape as Shape4, filter.shape as Shape4, attrs, attrs.dilations);
  return run(ConvKind.forward, backend, x, filter, info.outShape, info);
};

const conv2dBackpropInput = (args: Args): TensorInfo => {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const why = unsupported(attrs, dy, filter);
  if (why) return fallback(Conv2DBackpropInput, args, why);
  // tfjs's conv2d gradient only exists for dilation 1; its attrs carry none.
  const info = convInfo(attrs.inputShape!, filter.shape as Shape4, attrs, 1);
  checkDy(Conv2DBackpropInput, dy, info);
  return run(ConvKind.backwardData, backend, dy, filter, attrs.inputShape!, info);
};

const conv2dBackpropFilter = (args: Args): TensorInfo => {
  const { inputs: { x, dy }, backend, attrs } = args;
  const why = unsupported(attrs, x, dy);
  if (why) return fallback(Conv2DBackpropFilter, args, why);
  const info = convInfo(x.shape as Shape4, attrs.filterShape!, attrs, 1);
  checkDy(Conv2DBackpropFilter, dy, info);
  return run(ConvKind.backwardWeights, backend, x, dy, attrs.filterShape!, info);
};

const FUNCS: Record<(typeof NAMES)[number], KernelFunc> = {
  [Conv2D]: conv2d as unknown as KernelFunc,
  [Conv2DBackpropInput]: conv2dBackpropInput as unknown as KernelFunc,
  [Conv2DBackpropFilter]: conv2dBackpropFilter as unknown as KernelFunc,
};

export interface NativeConvOptions {
  /** OpenMP threads for oneDNN (BackendChoice.threads); default: OpenMP's own (all cores or OMP_NUM_THREADS). */
  threads?: number;
}

export type NativeConvResult = { ok: true; version: string } | { ok: false; reason: string };

/**
 * Registers the oneDNN kernels for 'wasm' when the addon loads, replacing what
 * is registered (the replaced kernels stay the fallback). Call after
 * `registerWasmConvGradients()`: calling it again re-registers ours. The
 * previous kernel's `setupFunc` is kept, so calling this before the wasm backend
 * initializes is fine. `{ ok: false, reason }` when the addon is absent: the
 * registered kernels are then left alone.
 */
export function registerNativeConvKernels(options: NativeConvOptions = {}): NativeConvResult {
  const loaded = loadOneDnn();
  if (loaded.addon === null) return { ok: false, reason: loaded.reason };
  addon = loaded.addon;
  if (options.threads !== undefined) addon.setNumThreads(options.threads);
  overrides.register();
  return { ok: true, version: addon.version() };
}

/** Undo {@link registerNativeConvKernels}: restore the kernels it replaced. No-op when not registered. */
export function unregisterNativeConvKernels(): void {
  overrides.unregister();
}

/** True when our kernels are the registered wasm conv kernels. */
export function nativeConvKernelsRegistered(): boolean {
  return overrides.registered();
}

/**
 * {@link registerNativeConvKernels} plus the addon's BatchMatMul / Sum / Mean
 * (./ops.ts): what a training client should call.
 */
export function registerNativeKernels(options: NativeConvOptions = {}): NativeConvResult {
  const result = registerNativeConvKernels(options);
  if (result.ok) registerNativeOpKernels(addon!);
  return result;
}

/** Undo {@link registerNativeKernels}. */
export function unregisterNativeKernels(): void {
  unregisterNativeConvKernels();
  unregisterNativeOpKernels();
}
