/**
 * Kernels for the tfjs **wasm** backend that need no native addon: JavaScript
 * on the wasm heap where the registered wasm kernel does needless work.
 *
 * - the fused training batch norm and its gradient (./wasm-batchnorm.ts; new
 *   kernels, used only where a task asks for fused batch norm),
 * - `Identity` and same-dtype `Cast` as aliases: the wasm kernels copy the
 *   whole tensor, several hundred times a MoCo step; the cpu backend aliases
 *   the same way, with a reference count (tensors are immutable).
 * - `BatchMatMul` with a transposed operand: the wasm kernel runs those as a
 *   naive loop (~1-2 GFLOP/s; MoCo's queue logits q x queue^T took ~35 ms)
 *   and only the plain product on XNNPack (~30 GFLOP/s), so transpose the
 *   operand first (wasm Transpose, a fast 2-D / batched case) and multiply.
 * - `GatherV2` as heap-to-heap row copies (MoCo's batch shuffle; the wasm
 *   kernel copies the indices out, then gathers element by element),
 * - `Slice` and `SplitV` as heap-to-heap copies (./wasm-slice.ts): the wasm
 *   kernels copy the whole input out of the heap first, for every slice,
 * - float32 `Equal` with a broadcast operand of at most two merged axes (the
 *   gradient of `max` in logSumExp, [B, K] == [B, 1]): the wasm kernel's
 *   generic broadcast took ~20 ms for 260K elements.
 *
 * Registered by `selectBackend` for wasm before the oneDNN kernels, which
 * replace them where the addon loads (keeping them as their fallback).
 */
import {
  backend_util, BatchMatMul, Cast, Equal, GatherV2, getKernel, Identity, Slice, SplitV, Transpose, util,
  type KernelFunc, type NamedAttrMap, type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { broadcastPlan } from './broadcast-plan.js';
import { wasmBatchNormKernels } from './wasm-batchnorm.js';
import { sliceKernel, splitVKernel } from './wasm-slice.js';
import { KernelOverrides } from './kernel-overrides.js';

interface Args { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs?: NamedAttrMap }

const overrides = new KernelOverrides('wasm', () => FUNCS);

function fallback(name: string, args: Args): TensorInfo {
  return overrides.fallback(name, args, 'case not handled');
}

/** A new reference to the same heap memory: no copy (tensors are immutable). */
export function aliasWasmTensor(backend: BackendWasm, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const identity = (args: Args): TensorInfo => {
  const { inputs: { x }, backend } = args;
  return x.dtype === 'string' ? fallback(Identity, args) : aliasWasmTensor(backend, x);
};

const cast = (args: Args): TensorInfo => {
  const { inputs: { x }, backend, attrs } = args;
  return x.dtype === attrs?.dtype && x.dtype !== 'string' ? aliasWasmTensor(backend, x) : fallback(Cast, args);
};

/** `x` with its last two axes swapped (a fresh tensor the caller disposes). */
function swapLastAxes(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  const t = getKernel(Transpose, 'wasm');
  if (t === undefined) throw new Error('wasm BatchMatMul: the Transpose kernel is not registered');
  return t.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}

const batchMatMul = (args: Args): TensorInfo => {
  const { inputs: { a, b }, backend, attrs } = args;
  const transposeA = attrs?.transposeA === true;
  const transposeB = attrs?.transposeB === true;
  if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2 ||
    util.sizeFromShape(a.shape) === 0 || util.sizeFromShape(b.shape) === 0) {
    return fallback(BatchMatMul, args);
  }
  const ta = transposeA ? swapLastAxes(backend, a) : a;
  const tb = transposeB ? swapLastAxes(backend, b) : b;
  try {
    return fallback(BatchMatMul, { inputs: { a: ta, b: tb }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
  } finally {
    if (ta !== a) backend.disposeData(ta.dataId);
    if (tb !== b) backend.disposeData(tb.dataId);
  }
};

/** float32 a == b where the broadcast merges to at most two axes; anything else goes to the wasm kernel. */
const equal = (args: Args): TensorInfo => {
  const { inputs: { a, b }, backend } = args;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(Equal, args);
  const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const plan = util.sizeFromShape(outShape) === 0 ? null : broadcastPlan(a.shape, b.shape, outShape);
  if (plan === null || plan.dims.length > 2) return fallback(Equal, args);
  const out = backend.makeOutput(outShape, 'bool');
  const x = backend.typedArrayFromHeap(a) as Float32Array;
  const y = backend.typedArrayFromHeap(b) as Float32Array;
  const o = backend.typedArrayFromHeap(out) as Uint8Array;
  const [rows, cols] = plan.dims.length === 2 ? plan.dims : [1, plan.dims[0]];
  const [rx, cx] = plan.dims.length === 2 ? plan.sx : [0, plan.sx[0]];
  const [ry, cy] = plan.dims.length === 2 ? plan.sy : [0, plan.sy[0]];
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0, i = r * rx, j = r * ry; c < cols; c++, i += cx, j += cy) o[k++] = x[i] === y[j] ? 1 : 0;
  }
  return out;
};

/**
 * GatherV2: x[..., indices, ...] along `axis` as contiguous run copies on the
 * heap (float32 / int32, batchDims 0); anything else, and out-of-range
 * indices (for its error), go to `fallback`.
 */
export function gatherV2Kernel(fallback: (args: Args) => TensorInfo): KernelFunc {
  return ((args: Args): TensorInfo => {
    const { inputs: { x, indices }, backend } = args;
    const attrs = (args.attrs ?? {}) as { axis: number; batchDims?: number };
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32' || (attrs.batchDims ?? 0) !== 0) {
      return fallback(args);
    }
    const axis = util.parseAxisParam(attrs.axis, x.shape)[0];
    const dim = x.shape[axis];
    const outer = util.sizeFromShape(x.shape.slice(0, axis));
    const inner = util.sizeFromShape(x.shape.slice(axis + 1));
    const idx = backend.typedArrayFromHeap(indices) as Int32Array;
    // Out-of-range indices: let the wasm kernel raise its error.
    if (idx.some((i) => i < 0 || i >= dim) || outer * inner === 0) return fallback(args);
    const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const out = backend.makeOutput(outShape, x.dtype);
    // Views taken after makeOutput (which may grow the heap).
    const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
    const ids = backend.typedArrayFromHeap(indices) as Int32Array;
    let o = 0;
    for (let a = 0; a < outer; a++) {
      for (let j = 0; j < ids.length; j++) {
        const start = (a * dim + ids[j]) * inner;
        dst.set(src.subarray(start, start + inner), o);
        o += inner;
      }
    }
    return out;
  }) as unknown as KernelFunc;
}

const FUNCS: Record<string, KernelFunc> = {
  [Identity]: identity as unknown as KernelFunc,
  [Cast]: cast as unknown as KernelFunc,
  [BatchMatMul]: batchMatMul as unknown as KernelFunc,
  [Equal]: equal as unknown as KernelFunc,
  [GatherV2]: gatherV2Kernel((args) => fallback(GatherV2, args)),
  [Slice]: sliceKernel((args) => fallback(Slice, args)) as unknown as KernelFunc,
  [SplitV]: splitVKernel((args) => fallback(SplitV, args) as unknown as TensorInfo[]) as unknown as KernelFunc,
  ...wasmBatchNormKernels,
};

/**
 * Registers the kernels above for 'wasm', replacing what is registered (the replaced
 * kernels stay the fallback and come back on unregister; see ../kernel-overrides.ts).
 */
export function registerWasmJsKernels(): void {
  overrides.register();
}

/** Restores the kernels {@link registerWasmJsKernels} replaced. */
export function unregisterWasmJsKernels(): void {
  overrides.unregister();
}
