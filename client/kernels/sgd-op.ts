/**
 * SGD with momentum and weight decay as one kernel per parameter, for backends
 * that register it (the oneDNN addon on wasm: ./native/sgd.ts). It computes
 * the same float32 operations in the same order as the composed ops of
 * client/optim/sgd.ts, so it gives the same bits and needs no opt-in: it only
 * saves the kernel calls (six per parameter and step, composed).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel name: inputs w, g, v; outputs w', v'. */
export const SgdMomentum = 'StreamsslSgdMomentum';

/** Attributes of {@link SgdMomentum}. */
export interface SgdMomentumAttrs extends tf.NamedAttrMap {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** True when the current backend registers the kernel. */
export function fusedSgdAvailable(): boolean {
  return tf.getKernel(SgdMomentum, tf.getBackend()) !== undefined;
}

/** v' = momentum * v + (g + weightDecay * w); w' = w - lr * v'. */
export function fusedSgdStep(w: tf.Tensor, g: tf.Tensor, v: tf.Tensor, attrs: SgdMomentumAttrs): { w: tf.Tensor; v: tf.Tensor } {
  const [wNext, vNext] = tf.engine().runKernel(SgdMomentum, { w, g, v }, attrs) as tf.Tensor[];
  return { w: wNext, v: vNext };
}
