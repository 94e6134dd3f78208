/**
 * The per-parameter updates of a step as one kernel each, for backends that
 * register them (the oneDNN addon on wasm: ./native/optim.ts): SGD with
 * momentum and weight decay (client/optim/sgd.ts), and the moving average of
 * momentum encoders (client/ssl/ema.ts) and batch-norm running statistics
 * (client/models/layers.ts). Each computes the same float32 operations in the
 * same order as the composed ops it replaces, so it gives the same bits and
 * needs no opt-in: it only saves kernel calls (three to six per parameter).
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

/**
 * v' = momentum * v + (g + weightDecay * w) (no decay term when weightDecay is 0);
 * w' = w - lr * v': in one kernel where the backend has it, else as those tfjs ops.
 */
export function sgdMomentumStep(w: tf.Tensor, g: tf.Tensor, v: tf.Tensor, attrs: SgdMomentumAttrs): { w: tf.Tensor; v: tf.Tensor } {
  if (fusedSgdAvailable()) {
    const [wNext, vNext] = tf.engine().runKernel(SgdMomentum, { w, g, v }, attrs) as tf.Tensor[];
    return { w: wNext, v: vNext };
  }
  const { lr, momentum, weightDecay } = attrs;
  const decayed = weightDecay > 0 ? tf.add(g, tf.mul(w, weightDecay)) : g;
  const vNext = tf.add(tf.mul(v, momentum), decayed);
  return { w: tf.sub(w, tf.mul(vNext, lr)), v: vNext };
}

/** Kernel name: inputs t, q; output t * keep + q * take. */
export const MovingAverage = 'StreamsslMovingAverage';

/** True when the current backend registers {@link MovingAverage}. */
export function fusedMovingAverageAvailable(): boolean {
  return tf.getKernel(MovingAverage, tf.getBackend()) !== undefined;
}

/**
 * momentum * t + (1 - momentum) * q, as `tf.add(tf.mul(t, momentum), tf.mul(q, 1 - momentum))`
 * computes it, in one kernel where the backend has it.
 */
export function movingAverage(t: tf.Tensor, q: tf.Tensor, momentum: number): tf.Tensor {
  if (!fusedMovingAverageAvailable()) return tf.add(tf.mul(t, momentum), tf.mul(q, 1 - momentum));
  return tf.engine().runKernel(MovingAverage, { t, q }, { keep: momentum, take: 1 - momentum }) as tf.Tensor;
}
