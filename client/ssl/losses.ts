/**
 * Pure loss functions of the SSL methods: tensors in, scalar out, no state.
 */
import * as tf from '@tensorflow/tfjs-core';
import { unitRows } from '../models/unit-rows.js';

export { unitRows } from '../models/unit-rows.js';

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

/**
 * NT-Xent as in SimCLR (Chen et al. 2020, https://arxiv.org/abs/2002.05709): the 2N
 * embeddings of both views; each one's positive is the other view of its image, the
 * other 2N - 2 are its negatives. Inputs are L2-normalized, so dot products are cosines.
 *
 * loss = mean over the 2N anchors a of [ logsumexp_{b != a}(s_ab / T) - s_a,pos(a) / T ].
 */
export function ntXent(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const n = z1.shape[0];
    const z = tf.concat([z1, z2], 0);
    // An anchor is never its own negative: push self-similarity far below the rest.
    const logits = tf.sub(tf.div(tf.matMul(z, z, false, true), temperature), tf.mul(tf.eye(2 * n), 1e9));
    const positive = tf.div(tf.sum(tf.mul(z1, z2), 1), temperature);
    return tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.concat([positive, positive], 0)));
  });
}


/** Row-wise cosine similarity of two [N, D] batches: [N]. */
function rowCosine(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.mul(unitRows(a), unitRows(b)), 1);
}

/**
 * BYOL's regression loss (Grill et al. 2020, https://arxiv.org/abs/2006.07733): the
 * mean squared error between L2-normalized prediction and target, which is
 * 2 - 2 cos(p, z). The target is a constant (it comes from the target network).
 */
export function normalizedMse(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(2, tf.mul(rowCosine(p, z), 2))) as tf.Scalar);
}

/**
 * SimSiam's D(p, z) (Chen & He 2021, https://arxiv.org/abs/2011.10566): the negative
 * mean cosine similarity. The caller stops the gradient through z.
 */
export function negativeCosine(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(rowCosine(p, z))) as tf.Scalar);
}

const STANDARDIZE_EPSILON = 1e-5;

/**
 * The cross-correlation matrix of two views' embeddings [D, D], each feature
 * standardized over the batch (biased variance plus a small epsilon, as the official
 * Barlow Twins code does with an affine-free batch norm): c_ij = sum_b z1_bi z2_bj / N.
 */
export function crossCorrelation(z1: tf.Tensor2D, z2: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const standardize = (z: tf.Tensor2D) => {
      const { mean, variance } = tf.moments(z, 0, true);
      return tf.mul(tf.sub(z, mean), tf.rsqrt(tf.add(variance, STANDARDIZE_EPSILON))) as tf.Tensor2D;
    };
    return tf.div(tf.matMul(standardize(z1), standardize(z2), true, false), z1.shape[0]) as tf.Tensor2D;
  });
}

/**
 * Barlow Twins (Zbontar et al. 2021, https://arxiv.org/abs/2103.03230): pull the
 * cross-correlation of the views towards the identity.
 *
 * loss = sum_i (1 - c_ii)^2 + lambda * sum_{i != j} c_ij^2.
 */
export function barlowTwinsLoss(z1: tf.Tensor2D, z2: tf.Tensor2D, lambda: number): tf.Scalar {
  return tf.tidy(() => {
    const c = crossCorrelation(z1, z2);
    const eye = tf.eye(c.shape[0]);
    const onDiagonal = tf.sum(tf.square(tf.sub(1, tf.sum(tf.mul(c, eye), 1))));
    const offDiagonal = tf.sum(tf.mul(tf.square(c), tf.sub(1, eye)));
    return tf.add(onDiagonal, tf.mul(offDiagonal, lambda));
  });
}
