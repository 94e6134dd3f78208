/**
 * The updates of ../optim-ops.ts on the wasm heap (native/optim.cc): one call
 * per parameter instead of three to six kernels. Tensors other than float32 of
 * one shape are refused by name: the composed ops are the fallback, chosen by
 * the caller, not here.
 */
import { util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { MovingAverage, SgdMomentum, type SgdMomentumAttrs } from '../optim-ops.js';
import type { HeapContext } from './heap-context.js';

interface Args { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs?: NamedAttrMap }


/** Refuses anything but float32 tensors of one shape, naming the kernel and what came. */
function checkSameFloat32(kernel: string, tensors: TensorInfo[]): void {
  const [first] = tensors;
  for (const t of tensors) {
    if (t.dtype !== 'float32' || !util.arraysEqual(t.shape, first.shape)) {
      throw new Error(`${kernel}: float32 tensors of one shape expected, got ${t.dtype} [${t.shape}] for a parameter of shape [${first.shape}]`);
    }
  }
}

/** The kernels, keyed by name. */
export function optimKernels(ctx: HeapContext): Record<string, KernelFunc> {
  const update = ({ inputs: { w, g, v }, backend, attrs }: Args): TensorInfo[] => {
    const { lr, momentum, weightDecay } = (attrs ?? {}) as SgdMomentumAttrs;
    checkSameFloat32(SgdMomentum, [w, g, v]);
    if (![lr, momentum, weightDecay].every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`${SgdMomentum}: lr, momentum and weightDecay must be finite numbers`);
    }
    const wOut = backend.makeOutput(w.shape, 'float32');
    const vOut = backend.makeOutput(w.shape, 'float32');
    const n = util.sizeFromShape(w.shape);
    if (n > 0) {
      const off = (t: TensorInfo): number => ctx.offset(backend, t);
      ctx.addon().sgdMomentum(ctx.heapOf(backend), off(w), off(g), off(v), off(wOut), off(vOut), n, lr, momentum, weightDecay);
    }
    return [wOut, vOut];
  };
  const average = ({ inputs: { t, q }, backend, attrs }: Args): TensorInfo => {
    const { keep, take } = (attrs ?? {}) as { keep?: number; take?: number };
    checkSameFloat32(MovingAverage, [t, q]);
    if (![keep, take].every((x) => typeof x === 'number' && Number.isFinite(x))) throw new Error(`${MovingAverage}: keep and take must be finite numbers`);
    const out = backend.makeOutput(t.shape, 'float32');
    const n = util.sizeFromShape(t.shape);
    if (n > 0) ctx.addon().movingAverage(ctx.heapOf(backend), ctx.offset(backend, t), ctx.offset(backend, q), ctx.offset(backend, out), n, keep!, take!);
    return out;
  };
  return { [SgdMomentum]: update as unknown as KernelFunc, [MovingAverage]: average as unknown as KernelFunc };
}
