/**
 * A training batch norm whose output goes through ReLU, with a residual added before
 * the ReLU or not, as one op: y = relu(batchNorm(x) + residual), as a ResNet's stem, the
 * first half of each block and the end of each block compute it. Composed (the fused
 * batch norm of ./batch-norm-op.ts, then Add, then Relu), the forward makes one or two
 * more passes over the activations and the gradient one more (ReLU's); here the residual
 * and the ReLU ride on the batch norm's last pass, and the gradient masks dy inside the
 * batch norm's own gradient passes.
 *
 * The same float32 operations in the same order as the composition, so the same bits
 * (test/client/kernels/native-batchnorm-relu.test.ts). Only the oneDNN addon registers
 * it (./native/batchnorm.ts); elsewhere, or with the fused batch norm off, the
 * composition runs (client/models/layers.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedBatchNormActive, type BatchNormTrainAttrs } from './batch-norm-op.js';

/** Kernel names: forward (outputs y, mean, variance) and its gradient (dx, dgamma, dbeta, then dresidual with a residual). */
export const BatchNormReluTrain = 'StreamsslBatchNormReluTrain';
export const BatchNormReluTrainGrad = 'StreamsslBatchNormReluTrainGrad';

/** Attributes of both kernels. */
export interface BatchNormReluTrainAttrs extends BatchNormTrainAttrs {
  /** Whether the forward had a residual input (its gradient then has a fourth output). */
  residual: boolean;
}

/** True when the fused batch norm is on and the current backend registers both kernels of this op. */
export function fusedBatchNormReluActive(): boolean {
  if (!fusedBatchNormActive()) return false;
  const backend = tf.getBackend();
  return tf.getKernel(BatchNormReluTrain, backend) !== undefined && tf.getKernel(BatchNormReluTrainGrad, backend) !== undefined;
}

/**
 * relu(batchNorm(x) + residual) (residual optional, x's shape), statistics per group of
 * `groups` consecutive samples and per channel. Returns y and the statistics ([groups, channels]).
 */
export function fusedBatchNormReluTrain(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, residual: tf.Tensor | undefined,
  groups: number, epsilon: number): { y: tf.Tensor; mean: tf.Tensor2D; variance: tf.Tensor2D } {
  const attrs: BatchNormReluTrainAttrs = { groups, epsilon, residual: residual !== undefined };
  const inputs: tf.NamedTensorMap = residual ? { x, gamma, beta, residual } : { x, gamma, beta };
  const [y, mean, variance] = tf.engine().runKernel(BatchNormReluTrain, inputs, attrs) as tf.Tensor[];
  return { y, mean: mean as tf.Tensor2D, variance: variance as tf.Tensor2D };
}

tf.registerGradient({
  kernelName: BatchNormReluTrain,
  inputsToSave: ['x', 'gamma'],
  // y masks dy as ReLU's gradient does: step(relu(v)) is step(v).
  outputsToSave: [true, true, true],
  gradFunc: (dys, saved, attrs) => {
    const dy = Array.isArray(dys) ? dys[0] : dys;
    const [x, gamma, y, mean, variance] = saved;
    const a = attrs as BatchNormReluTrainAttrs;
    // One kernel call for all, made here rather than in the closures: the engine runs
    // each closure in a tidy of its own, which would dispose the others' gradients.
    const [dx, dgamma, dbeta, dresidual] = tf.engine().runKernel(BatchNormReluTrainGrad, { dy, x, mean, variance, gamma, y }, a) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta, ...(a.residual ? { residual: () => dresidual } : {}) };
  },
});
