/**
 * A ResNet-18-style backbone (basic blocks, two per stage by default) with configurable
 * widths, for small images: 3x3 stem, no max-pool, as CIFAR variants of ResNet do.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backboneBlocks, hasProjection, type BackboneOptions } from '../../shared/model/backbone.js';
import { trimTape } from '../optim/lean-grads.js';
import { batchNorm, batchNormRelu, conv, type ForwardMode } from './layers.js';
import type { Params } from './params.js';

export { backboneDecls, featureDim, type BackboneOptions } from '../../shared/model/backbone.js';

/**
 * What follows a batch norm in the same layer: ReLU, after adding `residual` when given
 * (a block's end). Absent: the batch norm's output as is.
 */
export interface ReluAfter {
  residual?: tf.Tensor4D;
}

/** A convolution (`conv` names its weights) followed by its batch norm (`bn`), then `relu` when given. */
export type ConvBn = (conv: string, bn: string, x: tf.Tensor4D, stride: number, relu?: ReluAfter) => tf.Tensor4D;

/** The backbone's wiring over `convBn`: stem, blocks, pooling. */
export function backboneOver(o: BackboneOptions, x: tf.Tensor4D, convBn: ConvBn, stageOutputs?: tf.Tensor2D[]): tf.Tensor2D {
  // Each block in a tidy of its own, and its input freed after it: only what a gradient
  // tape saved (its own copies) outlives a block, so a forward pass without gradients
  // holds one block's intermediates at a time, not the whole network's; under a lean
  // gradient tape, trimTape drops what the tape saved only for its shape. Same kernels,
  // same values.
  let h = tf.tidy(() => convBn('backbone.stem', 'backbone.stem.bn', x, o.stemStride, {}));
  for (const b of backboneBlocks(o)) {
    const input = h;
    h = tf.tidy(() => {
      const r1 = convBn(`${b.name}.conv1`, `${b.name}.bn1`, input, b.stride, {});
      const shortcut = hasProjection(b) ? convBn(`${b.name}.short`, `${b.name}.short.bn`, input, b.stride) : input;
      return convBn(`${b.name}.conv2`, `${b.name}.bn2`, r1, 1, { residual: shortcut });
    });
    input.dispose();
    trimTape();
    if (stageOutputs && b.endsStage) stageOutputs.push(tf.mean(h, [1, 2]) as tf.Tensor2D);
  }
  const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
  h.dispose();
  return pooled;
}

/**
 * Forward pass to the pooled representation [B, featureDim]. `stageOutputs`, when
 * given, receives each stage's pooled output (for layer-wise analyses).
 */
export function backboneForward(p: Params, o: BackboneOptions, x: tf.Tensor4D, mode: ForwardMode, stageOutputs?: tf.Tensor2D[]): tf.Tensor2D {
  return backboneOver(o, x, (c, bn, input, stride, relu) => {
    const y = conv(p, c, input, stride);
    return relu ? batchNormRelu(p, bn, y, mode, relu.residual) : batchNorm(p, bn, y, mode);
  }, stageOutputs);
}
