/**
 * Pure loss functions of the SSL methods: tensors in, scalar out, no state.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * InfoNCE as in MoCo (He et al. 2020, https://arxiv.org/abs/1911.05722): each query's
 * positive is its own key; the negatives are the queue. Inputs are L2-normalized.
 *
 * loss = mean_i [ logsumexp_j(l_ij / T) - l_i0 / T ], l_i0 = q_i.k_i, l_ij = q_i.queue_j.
 */
export function infoNce(q: tf.Tensor2D, k: tf.Tensor2D, queue: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const positive = tf.sum(tf.mul(q, k), 1, true);
    const negative = tf.matMul(q, queue, false, true);
    const logits = tf.div(tf.concat([positive, negative], 1), temperature);
    const logSumExp = tf.logSumExp(logits, 1);
    return tf.mean(tf.sub(logSumExp, tf.squeeze(tf.div(positive, temperature), [1])));
  });
}
