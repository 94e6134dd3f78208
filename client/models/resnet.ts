/**
 * A ResNet-18-style backbone (basic blocks, two per stage by default) with configurable
 * widths, for small images: 3x3 stem, no max-pool, as CIFAR variants of ResNet do.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backboneBlocks, hasProjection, type BackboneOptions } from '../../shared/model/backbone.js';
import { batchNorm, conv, type ForwardMode } from './layers.js';
import type { Params } from './params.js';

export { backboneDecls, featureDim, type BackboneOptions } from '../../shared/model/backbone.js';

/**
 * Forward pass to the pooled representation [B, featureDim]. `stageOutputs`, when
 * given, receives each stage's pooled output (for layer-wise analyses).
 */
export function backboneForward(p: Params, o: BackboneOptions, x: tf.Tensor4D, mode: ForwardMode, stageOutputs?: tf.Tensor2D[]): tf.Tensor2D {
  let h = tf.relu(batchNorm(p, 'backbone.stem.bn', conv(p, 'backbone.stem', x, o.stemStride), mode));
  for (const b of backboneBlocks(o)) {
    const r1 = tf.relu(batchNorm(p, `${b.name}.bn1`, conv(p, `${b.name}.conv1`, h, b.stride), mode));
    const r2 = batchNorm(p, `${b.name}.bn2`, conv(p, `${b.name}.conv2`, r1, 1), mode);
    const shortcut = hasProjection(b) ? batchNorm(p, `${b.name}.short.bn`, conv(p, `${b.name}.short`, h, b.stride), mode) : h;
    h = tf.relu(tf.add(r2, shortcut)) as tf.Tensor4D;
    if (stageOutputs && b.endsStage) stageOutputs.push(tf.mean(h, [1, 2]) as tf.Tensor2D);
  }
  return tf.mean(h, [1, 2]) as tf.Tensor2D;
}
