/**
 * The SGD update of ../sgd-op.ts on the wasm heap (native/optim.cc): one call
 * per parameter instead of six kernels. Shapes other than float32 with equal
 * sizes are refused by name: the composed path is the fallback, chosen by the
 * optimizer, not here.
 */
import { util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SgdMomentum, type SgdMomentumAttrs } from '../sgd-op.js';
import type { OneDnnAddon } from './onednn.js';

interface Args { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs?: NamedAttrMap }

/** What the kernel needs from ops.ts, which registers it with its own. */
export interface SgdContext {
  addon(): OneDnnAddon;
  heapOf(backend: BackendWasm): Uint8Array;
  offset(backend: BackendWasm, t: TensorInfo): number;
}

/** The kernel, keyed by its name. */
export function sgdKernels(ctx: SgdContext): Record<string, KernelFunc> {
  const update = ({ inputs: { w, g, v }, backend, attrs }: Args): TensorInfo[] => {
    const { lr, momentum, weightDecay } = (attrs ?? {}) as SgdMomentumAttrs;
    for (const t of [w, g, v]) {
      if (t.dtype !== 'float32' || !util.arraysEqual(t.shape, w.shape)) {
        throw new Error(`${SgdMomentum}: float32 tensors of one shape expected, got ${t.dtype} [${t.shape}] for a parameter of shape [${w.shape}]`);
      }
    }
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
  return { [SgdMomentum]: update as unknown as KernelFunc };
}
