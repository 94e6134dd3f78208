/**
 * The fused training batch norm (../batch-norm-op.ts) on the wasm heap, in the
 * addon's two-pass kernels (native/batchnorm.cc). x is any [batch, ..., C]
 * float32 tensor: the addon sees it as [groups, rows, C].
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchNormTrain, BatchNormTrainGrad } from '../batch-norm-op.js';
import { batchNormBackwardOutputs, batchNormForwardOutputs, type BatchNormArgs } from '../wasm-batchnorm.js';
import type { HeapContext } from './heap-context.js';

/** The two kernels, keyed by kernel name. */
export function batchNormKernels(ctx: HeapContext): Record<string, KernelFunc> {
  const forward = (args: BatchNormArgs): TensorInfo[] => {
    const { inputs: { x, gamma, beta }, backend } = args;
    const { g, y, mean, variance } = batchNormForwardOutputs(args);
    const off = (t: TensorInfo): number => ctx.offset(backend, t);
    ctx.addon().batchNormForward(ctx.heapOf(backend), off(x), off(gamma), off(beta), off(y), off(mean), off(variance),
      g.groups, g.rows, g.channels, g.epsilon);
    return [y, mean, variance];
  };
  const backward = (args: BatchNormArgs): TensorInfo[] => {
    const { inputs: { dy, x, mean, variance, gamma }, backend } = args;
    const { g, dx, dgamma, dbeta } = batchNormBackwardOutputs(args);
    const off = (t: TensorInfo): number => ctx.offset(backend, t);
    ctx.addon().batchNormBackward(ctx.heapOf(backend), off(dy), off(x), off(mean), off(variance), off(gamma),
      off(dx), off(dgamma), off(dbeta), g.groups, g.rows, g.channels, g.epsilon);
    return [dx, dgamma, dbeta];
  };
  return { [BatchNormTrain]: forward as unknown as KernelFunc, [BatchNormTrainGrad]: backward as unknown as KernelFunc };
}
