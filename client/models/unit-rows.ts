/**
 * Row-wise L2 normalization with a gradient that is finite everywhere: what every SSL
 * method's embeddings and losses normalize with.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Rows scaled to unit length; an all-zero row stays zero. Unlike x / (|x| + eps), whose
 * autodiff gradient is NaN at zero (0/0 in the norm's derivative), its gradient is
 * written out, (dy - u (u.dy)) / |x|, and is dy at a zero row: narrow heads with ReLU
 * and zero-initialized biases do emit all-zero rows at the start.
 */
export const unitRows: (x: tf.Tensor2D) => tf.Tensor2D = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor2D;
  const save = args[1] as tf.GradSaveFunc;
  const squared = tf.sum(tf.square(x), 1, true);
  const inverseNorm = tf.where(tf.greater(squared, 0), tf.rsqrt(squared), tf.onesLike(squared));
  const unit = tf.mul(x, inverseNorm) as tf.Tensor2D;
  save([unit, inverseNorm]);
  return {
    value: unit,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [u, inverse] = saved;
      return tf.mul(tf.sub(dy, tf.mul(u, tf.sum(tf.mul(u, dy), 1, true))), inverse);
    },
  };
}) as (x: tf.Tensor2D) => tf.Tensor2D;
