/**
 * Element-wise unary wasm kernels on the addon's threads (native/eltwise.cc):
 * what a MoCo step still ran on tfjs's single-threaded wasm kernels at full
 * activation size once convolutions, matmuls, reductions and broadcast binary
 * ops were native (bench/kernel-profile.ts): `Relu`, `Step` (ReLU's gradient
 * is dy * step(x)), `Square` (batch norm's variance), `Fill` (the ones of
 * Mean's gradient), plus `Rsqrt`, `Sqrt` and `Neg` on the same loop.
 *
 * Values are bit-identical to the wasm kernels they replace (rsqrt as 1 / sqrt
 * in float32, where the cpu backend rounds once from double), so training gives
 * the same bits with or without them. Non-float32 and empty tensors go to the
 * kernel registered before.
 */
import { Fill, Neg, Relu, Rsqrt, Sqrt, Square, Step, util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { HeapContext } from './heap-context.js';

// tfjs passes no `attrs` at all to kernels whose op has none (Relu, Square...).
interface Args<A> { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs?: A & NamedAttrMap }

/** What the kernels need from ops.ts, which registers them with its own: the heap, and the kernels they replace. */
export interface EltwiseContext extends HeapContext {
  fallback(name: string, args: Args<object>): TensorInfo;
}

/** The addon's unary op numbers (native/eltwise.cc). */
export const UnaryOpCode = { relu: 0, step: 1, square: 2, rsqrt: 3, sqrt: 4, neg: 5, fill: 6 } as const;

/** The kernels, keyed by kernel name. */
export function eltwiseKernels(ctx: EltwiseContext): Record<string, KernelFunc> {
  const unary = (name: string, op: number) => (args: Args<{ alpha?: number }>): TensorInfo => {
    const { inputs: { x }, backend, attrs } = args;
    const n = util.sizeFromShape(x.shape);
    if (x.dtype !== 'float32' || n === 0) return ctx.fallback(name, args);
    const out = backend.makeOutput(x.shape, 'float32');
    ctx.addon().unary(ctx.heapOf(backend), ctx.offset(backend, x), ctx.offset(backend, out), n, op, attrs?.alpha ?? 0);
    return out;
  };
  const fill = (args: Args<{ shape: number[]; value: number | string; dtype?: string }>): TensorInfo => {
    const { shape, value, dtype } = args.attrs ?? { shape: [], value: 0 };
    const { backend } = args;
    const n = util.sizeFromShape(shape);
    if (typeof value !== 'number' || (dtype ?? 'float32') !== 'float32' || n === 0) return ctx.fallback(Fill, args);
    const out = backend.makeOutput(shape, 'float32');
    const offOut = ctx.offset(backend, out);
    ctx.addon().unary(ctx.heapOf(backend), offOut, offOut, n, UnaryOpCode.fill, value);
    return out;
  };
  const funcs: Record<string, unknown> = {
    [Relu]: unary(Relu, UnaryOpCode.relu),
    [Step]: unary(Step, UnaryOpCode.step),
    [Square]: unary(Square, UnaryOpCode.square),
    [Rsqrt]: unary(Rsqrt, UnaryOpCode.rsqrt),
    [Sqrt]: unary(Sqrt, UnaryOpCode.sqrt),
    [Neg]: unary(Neg, UnaryOpCode.neg),
    [Fill]: fill,
  };
  return funcs as Record<string, KernelFunc>;
}
