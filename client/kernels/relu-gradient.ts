/**
 * ReLU's gradient as one kernel where the backend registers it (the oneDNN addon on
 * wasm: ./native/ops.ts): dy * step(x) in one pass over the activations, where tfjs's
 * gradient runs Step, a Cast and a Multiply (two passes, three kernel calls), once per
 * ReLU of every step. The kernel computes the same float32 product per element, so the
 * bits are the same and no opt-in is needed. Elsewhere it is tfjs's composition.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel name: inputs dy, x (float32, one shape); output dy * step(x). */
export const ReluGrad = 'StreamsslReluGrad';

/** True when the current backend registers {@link ReluGrad}. */
export function fusedReluGradAvailable(): boolean {
  return tf.getKernel(ReluGrad, tf.getBackend()) !== undefined;
}

/** dy * step(x), as tfjs's Relu gradient computes it; in one kernel where the backend has it. */
export function reluGradient(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (fusedReluGradAvailable() && dy.dtype === 'float32' && x.dtype === 'float32' && tf.util.arraysEqual(dy.shape, x.shape)) {
    return tf.engine().runKernel(ReluGrad, { dy, x }) as tf.Tensor;
  }
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

/** Registers it over tfjs's Relu gradient (once the gradient registry holds tfjs's, see ../backend.ts). */
export function registerReluGradient(): void {
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => reluGradient(dy as tf.Tensor, x) }),
  });
}
