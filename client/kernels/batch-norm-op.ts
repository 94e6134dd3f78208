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
