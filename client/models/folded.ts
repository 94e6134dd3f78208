/**
 * The backbone for inference with batch norm folded into its convolutions: with the
 * running statistics fixed, BN(conv(x, w)) = conv(x, w * s) + (beta - mean * s) where
 * s = gamma / sqrt(var + eps) per output channel. A forward pass then costs one bias add
 * per convolution instead of a subtract, multiply and add over the whole activation,
 * and nothing records a gradient or touches the running statistics. Its outputs equal
 * `backboneForward` in evaluation mode up to float rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backboneBlocks, hasProjection } from '../../shared/model/backbone.js';
import { batchNormScaleShift, reluAfter } from './layers.js';
import { param, type Params } from './params.js';
import { backboneOver, type BackboneOptions } from './resnet.js';

/** Folded weights and bias of each convolution, by the convolution's name. */
export interface FoldedBackbone {
  convs: Map<string, { w: tf.Tensor4D; b: tf.Tensor1D }>;
}

/** The (conv, bn) pairs of the backbone, in order. */
function convBnPairs(o: BackboneOptions): [string, string][] {
  const pairs: [string, string][] = [['backbone.stem', 'backbone.stem.bn']];
  for (const b of backboneBlocks(o)) {
    pairs.push([`${b.name}.conv1`, `${b.name}.bn1`], [`${b.name}.conv2`, `${b.name}.bn2`]);
    if (hasProjection(b)) pairs.push([`${b.name}.short`, `${b.name}.short.bn`]);
  }
  return pairs;
}

/** New tensors (free them with {@link disposeFolded}): the backbone of `p` with its batch norms folded in. */
export function foldBackbone(p: Params, o: BackboneOptions): FoldedBackbone {
  const convs = new Map<string, { w: tf.Tensor4D; b: tf.Tensor1D }>();
  for (const [c, bn] of convBnPairs(o)) {
    convs.set(
      c,
      tf.tidy(() => {
        const { scale, shift } = batchNormScaleShift(p, bn);
        // [kh, kw, cin, cout] * [cout]: each output channel's filter scaled.
        return { w: tf.mul(param(p, `${c}.w`), scale) as tf.Tensor4D, b: shift as tf.Tensor1D };
      }),
    );
  }
  return { convs };
}

export function disposeFolded(f: FoldedBackbone): void {
  for (const { w, b } of f.convs.values()) tf.dispose([w, b]);
  f.convs.clear();
}

/** Inference forward pass to the pooled representation (and, when asked, each stage's), as `backboneForward` in evaluation mode. */
export function foldedForward(f: FoldedBackbone, o: BackboneOptions, x: tf.Tensor4D, stageOutputs?: tf.Tensor2D[]): tf.Tensor2D {
  return backboneOver(
    o,
    x,
    (c, _bn, input, stride, relu) => {
      const { w, b } = f.convs.get(c)!;
      const y = tf.add(tf.conv2d(input, w, stride, 'same'), b) as tf.Tensor4D;
      return relu ? reluAfter(y, relu.residual) : y;
    },
    stageOutputs,
  );
}
