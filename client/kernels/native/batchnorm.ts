/**
 * The fused training batch norm (../batch-norm-op.ts) on the wasm heap, in the
 * addon's two-pass kernels (native/batchnorm.cc). x is any [batch, ..., C]
 * float32 tensor: the addon sees it as [groups, rows, C].
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchNormTrain, BatchNormTrainGrad, checkLikeX } from '../batch-norm-op.js';
import { BatchNormReluTrain, BatchNormReluTrainGrad, type BatchNormReluTrainAttrs } from '../batch-norm-relu-op.js';
import { batchNormBackwardOutputs, batchNormForwardOutputs, type BatchNormArgs } from '../wasm-batchnorm.js';
import type { HeapContext } from './heap-context.js';

/** The kernels of the fused batch norm and of its ReLU form, keyed by kernel name. */
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
  // relu(batchNorm(x) + residual), and its gradient (../batch-norm-relu-op.ts).
  const reluForward = (args: BatchNormArgs): TensorInfo[] => {
    const { inputs: { x, gamma, beta, residual }, backend } = args;
    const wantsResidual = (args.attrs as BatchNormReluTrainAttrs | undefined)?.residual === true;
    if (wantsResidual !== (residual !== undefined)) throw new Error(`${BatchNormReluTrain}: attrs.residual says ${wantsResidual}, but the residual input is ${residual ? 'there' : 'missing'}`);
    if (residual) checkLikeX(BatchNormReluTrain, 'the residual', residual, x);
    const { g, y, mean, variance } = batchNormForwardOutputs(args, BatchNormReluTrain);
    const off = (t: TensorInfo): number => ctx.offset(backend, t);
    ctx.addon().batchNormReluForward(ctx.heapOf(backend), off(x), off(gamma), off(beta), off(y), off(mean), off(variance),
      residual ? off(residual) : -1, g.groups, g.rows, g.channels, g.epsilon);
    return [y, mean, variance];
  };
  const reluBackward = (args: BatchNormArgs): TensorInfo[] => {
    const { inputs: { dy, x, mean, variance, gamma, y }, backend } = args;
    if (!y) throw new Error(`${BatchNormReluTrainGrad}: the forward's output y is missing`);
    checkLikeX(BatchNormReluTrainGrad, "the forward's output y", y, x);
    const { g, dx, dgamma, dbeta } = batchNormBackwardOutputs(args, BatchNormReluTrainGrad);
    const withResidual = (args.attrs as BatchNormReluTrainAttrs | undefined)?.residual === true;
    const dresidual = withResidual ? backend.makeOutput(x.shape, 'float32') : null;
    const off = (t: TensorInfo): number => ctx.offset(backend, t);
    ctx.addon().batchNormReluBackward(ctx.heapOf(backend), off(dy), off(x), off(mean), off(variance), off(gamma),
      off(dx), off(dgamma), off(dbeta), off(y), dresidual ? off(dresidual) : -1, g.groups, g.rows, g.channels, g.epsilon);
    return dresidual ? [dx, dgamma, dbeta, dresidual] : [dx, dgamma, dbeta];
  };
  return {
    [BatchNormTrain]: forward as unknown as KernelFunc,
    [BatchNormTrainGrad]: backward as unknown as KernelFunc,
    [BatchNormReluTrain]: reluForward as unknown as KernelFunc,
    [BatchNormReluTrainGrad]: reluBackward as unknown as KernelFunc,
  };
}
