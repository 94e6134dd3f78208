/**
 * Training batch normalization as one op with its own gradient, for backends
 * that register its two kernels (the oneDNN addon on wasm:
 * ./native/batchnorm.ts). Composed of tfjs ops (client/models/layers.ts), the
 * forward pass and its gradient make about thirty activation-sized passes
 * over memory; fused, four.
 *
 * Opt-in per task (`model.batchNorm: "fused"`): the fused kernels sum in
 * another order than the composition, so a run's numbers change in their
 * float32 rounding, and the figures measured with the composition stay
 * reproducible only with it.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel names: forward (outputs y, mean, variance) and its gradient (outputs dx, dgamma, dbeta). */
export const BatchNormTrain = 'StreamsslBatchNormTrain';
export const BatchNormTrainGrad = 'StreamsslBatchNormTrainGrad';

/** Attributes of both kernels. */
export interface BatchNormTrainAttrs extends tf.NamedAttrMap {
  /** Statistic groups along the batch (ghost batch norm); divides the batch. */
  groups: number;
  epsilon: number;
}

/** How the two kernels see x: [groups, rows, channels], rows = samples per group x pixels. */
export interface BatchNormGeometry { groups: number; rows: number; channels: number; epsilon: number }

/** [groups, rows, channels] of x, or an error naming what does not fit. */
export function batchNormGeometry(kernel: string, x: tf.TensorInfo, channelTensors: tf.TensorInfo[],
  attrs: tf.NamedAttrMap | undefined): BatchNormGeometry {
  const { groups, epsilon } = (attrs ?? {}) as BatchNormTrainAttrs;
  const batch = x.shape[0];
  const channels = x.shape[x.shape.length - 1];
  const size = tf.util.sizeFromShape(x.shape);
  if (x.shape.length < 2 || !Number.isInteger(groups) || groups < 1 || batch % groups !== 0 || size === 0) {
    throw new Error(`${kernel}: x of shape [${x.shape}] cannot be split into ${groups} groups along its batch`);
  }
  for (const t of [x, ...channelTensors]) {
    if (t.dtype !== 'float32') throw new Error(`${kernel}: float32 tensors expected, got ${t.dtype}`);
  }
  for (const t of channelTensors) {
    if (tf.util.sizeFromShape(t.shape) !== channels) throw new Error(`${kernel}: a per-channel tensor of shape [${t.shape}] for ${channels} channels`);
  }
  if (typeof epsilon !== 'number' || !(epsilon > 0)) throw new Error(`${kernel}: epsilon must be a positive number`);
  return { groups, rows: size / (groups * channels), channels, epsilon };
}

/** {@link batchNormGeometry} of the gradient kernel's inputs, which also checks dy and the statistics. */
export function batchNormGradGeometry(
  { dy, x, mean, variance, gamma }: Record<'dy' | 'x' | 'mean' | 'variance' | 'gamma', tf.TensorInfo>,
  attrs: tf.NamedAttrMap | undefined,
  kernel = BatchNormTrainGrad,
): BatchNormGeometry {
  const g = batchNormGeometry(kernel, x, [gamma], attrs);
  if (!tf.util.arraysEqual(dy.shape, x.shape)) throw new Error(`${kernel}: dy [${dy.shape}] and x [${x.shape}] differ`);
  for (const t of [dy, mean, variance]) {
    if (t.dtype !== 'float32') throw new Error(`${kernel}: float32 tensors expected, got ${t.dtype}`);
  }
  for (const s of [mean, variance]) {
    if (tf.util.sizeFromShape(s.shape) !== g.groups * g.channels) throw new Error(`${kernel}: statistics of shape [${s.shape}], not [${g.groups}, ${g.channels}]`);
  }
  return g;
}

/** Refuses a tensor that is not float32 of x's shape (a residual, or the forward's output), naming `what`. */
export function checkLikeX(kernel: string, what: string, t: tf.TensorInfo, x: tf.TensorInfo): void {
  if (t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, x.shape)) {
    throw new Error(`${kernel}: ${what} must be float32 of x's shape [${x.shape}], got ${t.dtype} [${t.shape}]`);
  }
}

let fusedWanted = false;

/** Whether training batch norm uses the fused op where the backend has it (set per task). */
export function useFusedBatchNorm(on: boolean): void {
  fusedWanted = on;
}

/** True when the fused op is wanted and the current backend registers both kernels. */
export function fusedBatchNormActive(): boolean {
  if (!fusedWanted) return false;
  const backend = tf.getBackend();
  return tf.getKernel(BatchNormTrain, backend) !== undefined && tf.getKernel(BatchNormTrainGrad, backend) !== undefined;
}

/**
 * y = (x - mean) / sqrt(variance + epsilon) * gamma + beta, statistics per group
 * of `groups` consecutive samples and per channel (the last axis), biased
 * variance. Returns y and the statistics ([groups, channels]).
 */
export function fusedBatchNormTrain(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, groups: number, epsilon: number):
  { y: tf.Tensor; mean: tf.Tensor2D; variance: tf.Tensor2D } {
  const attrs: BatchNormTrainAttrs = { groups, epsilon };
  const [y, mean, variance] = tf.engine().runKernel(BatchNormTrain, { x, gamma, beta }, attrs) as tf.Tensor[];
  return { y, mean: mean as tf.Tensor2D, variance: variance as tf.Tensor2D };
}

// The op's gradient, registered on import as tfjs registers its own
// (backend-independent: it runs the gradient kernel of the current backend).
tf.registerGradient({
  kernelName: BatchNormTrain,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const dy = Array.isArray(dys) ? dys[0] : dys;
    const [x, gamma, mean, variance] = saved;
    // One kernel call for all three, made here rather than in the closures:
    // the engine runs each closure in a tidy of its own, which would dispose
    // the two gradients that closure does not return.
    const [dx, dgamma, dbeta] = tf.engine().runKernel(BatchNormTrainGrad, { dy, x, mean, variance, gamma }, attrs as BatchNormTrainAttrs) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
});
