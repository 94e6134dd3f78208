/**
 * Filter-normalized random directions in weight space (Li et al. 2018, "Visualizing the
 * Loss Landscape of Neural Nets", https://arxiv.org/abs/1712.09913, section 4).
 *
 * A raw Gaussian direction is not comparable across networks: batch norm makes a
 * layer's output invariant to the scale of its filters, so a step of length 1 is huge
 * for small filters and negligible for large ones. Rescaling each filter of the
 * direction to the norm of the matching weight filter makes "radius r" mean "r times
 * each filter's own size", whatever the scale the weights happened to settle at.
 */
import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed } from '../../shared/random.js';

// Li et al.'s code guards the division the same way; a Gaussian filter is never this small.
const NORM_GUARD = 1e-10;

/**
 * A direction for every weight in `weights`, seeded by `seed` (the same seed gives the
 * same direction): for weights of rank >= 2, whose last axis indexes the filters (conv
 * kernels [kh, kw, cin, cout]: one output channel; dense weights [in, out]: one output
 * unit), Gaussian noise with each filter rescaled to that filter's norm in `weights`;
 * for 1-D weights (biases, batch-norm scale and shift) zeros, Li et al.'s "ignore
 * biasbn". Pass trainable weights only: buffers are never perturbed. The caller frees
 * the returned tensors.
 */
export function filterNormalizedDirection(weights: ReadonlyMap<string, tf.Tensor>, seed: number): Map<string, tf.Tensor> {
  const direction = new Map<string, tf.Tensor>();
  try {
    for (const [name, w] of weights) direction.set(name, tf.tidy(() => (w.rank >= 2 ? filterNormalized(w, parameterSeed(seed, name)) : tf.zerosLike(w))));
  } catch (err) {
    tf.dispose([...direction.values()]);
    throw err;
  }
  return direction;
}

/** One seed per parameter name, so a direction does not depend on the order of the map. */
function parameterSeed(seed: number, name: string): number {
  // tf.randomNormal takes a seed of 0 as "no seed" and draws a random one.
  return deriveSeed(seed, 'filter-direction', name) || 1;
}

function filterNormalized(w: tf.Tensor, seed: number): tf.Tensor {
  const noise = tf.randomNormal(w.shape, 0, 1, 'float32', seed);
  return tf.mul(noise, tf.div(filterNorms(w), tf.add(filterNorms(noise), NORM_GUARD)));
}

/** The Euclidean norm of each filter (slice along the last axis), broadcastable against `x`. */
function filterNorms(x: tf.Tensor): tf.Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  return tf.sqrt(tf.sum(tf.square(x), axes, true));
}
