/**
 * Memory Aware Synapses (Aljundi et al. 2018, https://arxiv.org/abs/1711.09601) for a
 * self-supervised encoder: a parameter's importance is the mean absolute gradient of the
 * squared L2 norm of the representation, over the chunk just learned. Importances add
 * up across chunks; the penalty anchors the weights where each chunk left them.
 *
 * Gradients are taken per mini-batch rather than per sample (the paper's definition):
 * per-sample gradients cost a backward pass per image, and the batch mean of absolute
 * values over many batches ranks parameters the same way in practice.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamArrays } from '../../shared/state/arrays.js';
import type { Params } from '../models/params.js';
import { backboneForward, type BackboneOptions } from '../models/resnet.js';
import { GradientMeans } from './gradient-means.js';

/**
 * Importance of every trainable parameter on the given batches: mean over batches of
 * |d mean_x ||f(x)||^2 / d theta|. Parameters the representation does not depend on
 * (the projection head) get zeros.
 */
export async function masImportance(online: Params, backbone: BackboneOptions, batches: Iterable<tf.Tensor4D>): Promise<ParamArrays> {
  const absolute = new GradientMeans(online);
  for (const x of batches) {
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.sum(tf.square(backboneForward(online, backbone, x, { training: false, bnGroups: 1 })), 1)) as tf.Scalar,
      [...online.trainable.values()],
    );
    absolute.add((name) => grads[online.trainable.get(name)!.name], tf.abs);
    tf.dispose([value, ...Object.values(grads)]);
  }
  return absolute.means('MAS: no batches to measure importance on');
}
