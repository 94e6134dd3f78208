/**
 * The fused training batch norm (../batch-norm-op.ts) on the wasm heap, in the
 * addon's two-pass kernels (native/batchnorm.cc). x is any [batch, ..., C]
 * float32 tensor: the addon sees it as [groups, rows, C].
 */
import { util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BatchNormTrain, BatchNormTrainGrad, type BatchNormTrainAttrs } from '../batch-norm-op.js';
import type { HeapContext } from './heap-context.js';

interface Args { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs?: NamedAttrMap }


/** [groups, rows, channels] of x, or an error naming what does not fit. */
function geometry(kernel: string, x: TensorInfo, channelTensors: TensorInfo[], attrs: NamedAttrMap | undefined) {
  const { groups, epsilon } = (attrs ?? {}) as BatchNormTrainAttrs;
  const batch = x.shape[0];
  const channels = x.shape[x.shape.length - 1];
  const size = util.sizeFromShape(x.shape);
  if (x.shape.length < 2 || !Number.isInteger(groups) || groups < 1 || batch % groups !== 0 || size === 0) {
    throw new Error(`${kernel}: x of shape [${x.shape}] cannot be split into ${groups} groups along its batch`);
  }
  for (const t of [x, ...channelTensors]) {
    if (t.dtype !== 'float32') throw new Error(`${kernel}: float32 tensors expected, got ${t.dtype}`);
  }
  for (const t of channelTensors) {
    if (util.sizeFromShape(t.shape) !== channels) throw new Error(`${kernel}: a per-channel tensor of shape [${t.shape}] for ${channels} channels`);
  }
  if (typeof epsilon !== 'number' || !(epsilon > 0)) throw new Error(`${kernel}: epsilon must be a positive number`);
  return { groups, rows: size / (groups * channels), channels, epsilon };
}

/** The two kernels, keyed by kernel name. */
export function batchNormKernels(ctx: HeapContext): Record<string, KernelFunc> {
  const forward = ({ inputs: { x, gamma, beta }, backend, attrs }: Args): TensorInfo[] => {
    const g = geometry(BatchNormTrain, x, [gamma, beta], attrs);
    const y = backend.makeOutput(x.shape, 'float32');
    const mean = backend.makeOutput([g.groups, g.channels], 'float32');
    const variance = backend.makeOutput([g.groups, g.channels], 'float32');
    const off = (t: TensorInfo): number => ctx.offset(backend, t);
    ctx.addon().batchNormForward(ctx.heapOf(backend), off(x), off(gamma), off(beta), off(y), off(mean), off(variance),
      g.groups, g.rows, g.channels, g.epsilon);
    return [y, mean, variance];
  };
  const backward = ({ inputs: { dy, x, mean, variance, gamma }, backend, attrs }: Args): TensorInfo[] => {
    const g = geometry(BatchNormTrainGrad, x, [gamma], attrs);
    if (!util.arraysEqual(dy.shape, x.shape)) throw new Error(`${BatchNormTrainGrad}: dy [${dy.shape}] and x [${x.shape}] differ`);
    for (const s of [mean, variance]) {
      if (util.sizeFromShape(s.shape) !== g.groups * g.channels) throw new Error(`${BatchNormTrainGrad}: statistics of shape [${s.shape}], not [${g.groups}, ${g.channels}]`);
    }
    const dx = backend.makeOutput(x.shape, 'float32');
    const dgamma = backend.makeOutput(gamma.shape, 'float32');
    const dbeta = backend.makeOutput(gamma.shape, 'float32');
    const off = (t: TensorInfo): number => ctx.offset(backend, t);
    ctx.addon().batchNormBackward(ctx.heapOf(backend), off(dy), off(x), off(mean), off(variance), off(gamma),
      off(dx), off(dgamma), off(dbeta), g.groups, g.rows, g.channels, g.epsilon);
    return [dx, dgamma, dbeta];
  };
  return { [BatchNormTrain]: forward as unknown as KernelFunc, [BatchNormTrainGrad]: backward as unknown as KernelFunc };
}
