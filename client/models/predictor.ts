/**
 * Two-layer MLP heads with batch norm, Linear-BN-ReLU-Linear(-BN): BYOL's and
 * SimSiam's predictor, and the projectors of BYOL, SimSiam and Barlow Twins (the
 * papers' heads, with two layers as their CIFAR variants use), and the pass of both
 * views through backbone and projector those three share. MoCo v2 and SimCLR keep the
 * plain MLP of ./projection.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNorm, bnDecls, dense, denseDecls, type ForwardMode } from './layers.js';
import type { ParamDecl, Params } from './params.js';
import { backboneForward, type BackboneOptions } from './resnet.js';

export interface MlpHeadOptions {
  inputDim: number;
  hiddenDim: number;
  outputDim: number;
  /** Batch norm after the last layer too (SimSiam's projector). */
  outputBatchNorm?: boolean;
}

/** Parameters `${prefix}.fc1`, `${prefix}.bn1`, `${prefix}.fc2` (and `${prefix}.bn2`). */
export function mlpHeadDecls(prefix: string, o: MlpHeadOptions): ParamDecl[] {
  return [
    ...denseDecls(`${prefix}.fc1`, o.inputDim, o.hiddenDim),
    ...bnDecls(`${prefix}.bn1`, o.hiddenDim),
    ...denseDecls(`${prefix}.fc2`, o.hiddenDim, o.outputDim),
    ...(o.outputBatchNorm ? bnDecls(`${prefix}.bn2`, o.outputDim) : []),
  ];
}

export function mlpHeadForward(p: Params, prefix: string, o: MlpHeadOptions, x: tf.Tensor2D, mode: ForwardMode): tf.Tensor2D {
  const hidden = tf.relu(batchNorm(p, `${prefix}.bn1`, dense(p, `${prefix}.fc1`, x), mode));
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

/** Name prefix of the predictor's parameters (the part a target network lacks). */
export const PREDICTOR_PREFIX = 'predictor';

/** The predictor: embedding -> hidden -> embedding. */
export function predictorDecls(dim: number, hiddenDim: number): ParamDecl[] {
  return mlpHeadDecls(PREDICTOR_PREFIX, { inputDim: dim, hiddenDim, outputDim: dim });
}

export function predictorForward(p: Params, dim: number, hiddenDim: number, x: tf.Tensor2D, mode: ForwardMode): tf.Tensor2D {
  return mlpHeadForward(p, PREDICTOR_PREFIX, { inputDim: dim, hiddenDim, outputDim: dim }, x, mode);
}
