/**
 * Non-convolution wasm kernels the oneDNN addon does faster, found by profiling
 * the MoCo step once the convolutions were native:
 *
 * - `BatchMatMul` (oneDNN matmul; the queue logits [B, D] x [K, D]^T were
 *   ~3-4 ms each on wasm),
 * - `Sum` / `Mean` over one contiguous block of axes (batch norm reduces
 *   NHWC over N, H, W; the wasm kernels first transpose the reduced axes to the
 *   end, which costs more than the sum).
 *
 * - `Add` / `Sub` / `Multiply` / `RealDiv` / `Equal` on float32 (batch norm's
 *   per-channel broadcasts, [N, H, W, C] op [C], hit a slow generic path in wasm),
 * - `GatherV2` (batchDims 0) as heap-to-heap row copies (the wasm kernel first
 *   copies the indices out, then gathers element by element),
 * - `Identity` and same-dtype `Cast` as aliases (the wasm kernels copy; the cpu
 *   backend's alias the same way, with a reference count).
 *
 * - the element-wise unary kernels of ./eltwise.ts (ReLU, Step, Square, Fill, ...),
 * - the fused training batch norm and its gradient (./batchnorm.ts; new kernels,
 *   used only where a task asks for them),
 * - the SGD update and moving averages, one call per parameter (./optim.ts;
 *   same bits as composed),
 * - ReLU's gradient, dy * step(x), in one pass (../relu-gradient.ts; same bits as
 *   tfjs's Step, Cast and Multiply).
 *
 * Everything else (other dtypes, non-contiguous axes, empty tensors, batch
 * shapes that need real broadcasting) goes to the kernel registered before.
 */
import {
  Add, backend_util, BatchMatMul, Cast, Equal, GatherV2, Identity, Multiply, RealDiv, Sub, broadcast_util, Mean, Sum, util,
  type KernelFunc, type NamedAttrMap, type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { batchNormKernels } from './batchnorm.js';
import { eltwiseKernels } from './eltwise.js';
import { optimKernels } from './optim.js';
import { aliasWasmTensor, gatherV2Kernel } from '../wasm-js-kernels.js';
import { broadcastPlan } from '../broadcast-plan.js';
import type { OneDnnAddon } from './onednn.js';
import { KernelOverrides } from '../kernel-overrides.js';
import { ReluGrad } from '../relu-gradient.js';

interface Args<A> { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: A & NamedAttrMap }

const overrides = new KernelOverrides('native', () => FUNCS);
let addon: OneDnnAddon | null = null;
const mmParams = new Int32Array(7);

function heapOf(backend: BackendWasm): Uint8Array {
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8;
}

function offset(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

function fallback<A>(name: string, args: Args<A>): TensorInfo {
  return overrides.fallback(name, args, 'case not handled');
}

const batchMatMul = (args: Args<{ transposeA: boolean; transposeB: boolean }>): TensorInfo => {
  const { inputs: { a, b }, backend, attrs: { transposeA, transposeB } } = args;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
    return fallback(BatchMatMul, args);
  }
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = util.sizeFromShape(outerA);
  const batchB = util.sizeFromShape(outerB);
  // Equal batch shapes, or one side without batch (size 1): the cases a flat
  // [batch, M, N] result lays out exactly as the broadcast output.
  const simple = util.arraysEqual(outerA, outerB) || batchA === 1 || batchB === 1;
  if (k !== kb || !simple || m * n * k * batchA * batchB === 0) return fallback(BatchMatMul, args);
  const outShape = broadcast_util.assertAndGetBroadcastShape(outerA, outerB).concat([m, n]);
  const out = backend.makeOutput(outShape, 'float32');
  mmParams.set([batchA, batchB, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0]);
  addon!.matmul(heapOf(backend), offset(backend, a), offset(backend, b), offset(backend, out), mmParams);
  return out;
};

/** Sum / Mean over axes forming one contiguous block: [A, R, C] -> [A, C]. */
function reduction(name: typeof Sum | typeof Mean, mean: 0 | 1) {
  return (args: Args<{ axis: number | number[]; keepDims: boolean }>): TensorInfo => {
    const { inputs: { x }, backend, attrs: { axis, keepDims } } = args;
    if (x.dtype !== 'float32' || util.sizeFromShape(x.shape) === 0) return fallback(name, args);
    const axes = [...new Set(util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
    if (axes.length === 0 || axes[axes.length - 1] - axes[0] !== axes.length - 1) return fallback(name, args);
    const first = axes[0];
    const last = axes[axes.length - 1];
    const a = util.sizeFromShape(x.shape.slice(0, first));
    const r = util.sizeFromShape(x.shape.slice(first, last + 1));
    const c = util.sizeFromShape(x.shape.slice(last + 1));
    const [kept] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const outShape = keepDims ? backend_util.expandShapeToKeepDim(kept, axes) : kept;
    const out = backend.makeOutput(outShape, 'float32');
    addon!.reduce(heapOf(backend), offset(backend, x), offset(backend, out), a, r, c, mean);
    return out;
  };
}

export { broadcastPlan } from '../broadcast-plan.js';

function binary(name: string, op: 0 | 1 | 2 | 3 | 4) {
  return (args: Args<object>): TensorInfo => {
    const { inputs: { a, b }, backend } = args;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(name, args);
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const plan = util.sizeFromShape(outShape) === 0 ? null : broadcastPlan(a.shape, b.shape, outShape);
    if (plan === null) return fallback(name, args);
    const out = backend.makeOutput(outShape, op === 4 ? 'bool' : 'float32');
    const params = new Int32Array([op, plan.dims.length, ...plan.dims, ...plan.sx, ...plan.sy]);
    addon!.binary(heapOf(backend), offset(backend, a), offset(backend, b), offset(backend, out), params);
    return out;
  };
}

const reluGrad = (args: Args<object>): TensorInfo => {
  const { inputs: { dy, x }, backend } = args;
  if (dy.dtype !== 'float32' || x.dtype !== 'float32' || !util.arraysEqual(dy.shape, x.shape)) {
    throw new Error(`${ReluGrad}: float32 dy and x of one shape expected, got ${dy.dtype} [${dy.shape}] and ${x.dtype} [${x.shape}]`);
  }
  const out = backend.makeOutput(x.shape, 'float32');
  const n = util.sizeFromShape(x.shape);
  if (n > 0) addon!.binary(heapOf(backend), offset(backend, dy), offset(backend, x), offset(backend, out), new Int32Array([5, 1, n, 1, 1]));
  return out;
};

const identity = (args: Args<object>): TensorInfo => {
  const { inputs: { x }, backend } = args;
  return x.dtype === 'string' ? fallback(Identity, args) : aliasWasmTensor(backend, x);
};

const cast = (args: Args<{ dtype: string }>): TensorInfo => {
  const { inputs: { x }, backend, attrs } = args;
  return x.dtype === attrs.dtype && x.dtype !== 'string' ? aliasWasmTensor(backend, x) : fallback(Cast, args);
};

const FUNCS: Record<string, KernelFunc> = {
  [Add]: binary(Add, 0) as unknown as KernelFunc,
  [Sub]: binary(Sub, 1) as unknown as KernelFunc,
  [Multiply]: binary(Multiply, 2) as unknown as KernelFunc,
  [RealDiv]: binary(RealDiv, 3) as unknown as KernelFunc,
  [Equal]: binary(Equal, 4) as unknown as KernelFunc,
  [ReluGrad]: reluGrad as unknown as KernelFunc,
  [GatherV2]: gatherV2Kernel((args) => fallback(GatherV2, args as Args<object>)),
  [Identity]: identity as unknown as KernelFunc,
  [Cast]: cast as unknown as KernelFunc,
  [BatchMatMul]: batchMatMul as unknown as KernelFunc,
  [Sum]: reduction(Sum, 0) as unknown as KernelFunc,
  [Mean]: reduction(Mean, 1) as unknown as KernelFunc,
  ...eltwiseKernels({ addon: () => addon!, heapOf, offset, fallback }),
  ...batchNormKernels({ addon: () => addon!, heapOf, offset }),
  ...optimKernels({ addon: () => addon!, heapOf, offset }),
};

/** Registers the kernels above for 'wasm' on `loaded` (the addon); the replaced ones stay the fallback. */
export function registerNativeOpKernels(loaded: OneDnnAddon): void {
  addon = loaded;
  overrides.register();
}

/** Restores the kernels {@link registerNativeOpKernels} replaced. */
export function unregisterNativeOpKernels(): void {
  overrides.unregister();
}

/** True when all of them are the registered wasm kernels. */
export function nativeOpKernelsRegistered(): boolean {
  return overrides.registered();
}
