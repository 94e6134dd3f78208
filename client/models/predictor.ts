/**
 * Two-layer MLP heads with batch norm, Linear-BN-ReLU-Linear(-BN): BYOL's and
 * SimSiam's predictor, and the projectors of BYOL, SimSiam and Barlow Twins (the
 * papers' heads, with two layers as their CIFAR variants use), and the pass of both
 * views through backbone and projector those three share. MoCo v2 and SimCLR keep the
 * plain MLP of ./projection.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PREDICTOR_PREFIX, predictorHead, type MlpHeadOptions } from '../../shared/model/heads.js';
import { batchNorm, batchNormRelu, dense, type ForwardMode } from './layers.js';
import type { Params } from './params.js';
import { backboneForward, type BackboneOptions } from './resnet.js';

export { mlpHeadDecls, PREDICTOR_PREFIX, predictorDecls, type MlpHeadOptions } from '../../shared/model/heads.js';

export function mlpHeadForward(p: Params, prefix: string, o: MlpHeadOptions, x: tf.Tensor2D, mode: ForwardMode): tf.Tensor2D {
  const hidden = batchNormRelu(p, `${prefix}.bn1`, dense(p, `${prefix}.fc1`, x), mode);
  const out = dense(p, `${prefix}.fc2`, hidden);
  return o.outputBatchNorm ? batchNorm(p, `${prefix}.bn2`, out, mode) : out;
}

/**
 * Both views through the backbone and the MLP head `prefix`: the backbone features of
 * view1 (the representation regularizers read) and the two embeddings.
 */
export function twoViewEmbeddings(
  p: Params,
  backbone: BackboneOptions,
  prefix: string,
  head: MlpHeadOptions,
  view1: tf.Tensor4D,
  view2: tf.Tensor4D,
  mode: ForwardMode,
): { representation: tf.Tensor2D; z1: tf.Tensor2D; z2: tf.Tensor2D } {
  const representation = backboneForward(p, backbone, view1, mode);
  const z1 = mlpHeadForward(p, prefix, head, representation, mode);
  const z2 = mlpHeadForward(p, prefix, head, backboneForward(p, backbone, view2, mode), mode);
  return { representation, z1, z2 };
}

export function predictorForward(p: Params, dim: number, hiddenDim: number, x: tf.Tensor2D, mode: ForwardMode): tf.Tensor2D {
  return mlpHeadForward(p, PREDICTOR_PREFIX, predictorHead(dim, hiddenDim), x, mode);
}
