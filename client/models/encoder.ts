/**
 * The encoder every SSL method trains: backbone plus projection head, built from the
 * narrow model options a task carries.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../../shared/scenario.js';
import type { ForwardMode } from './layers.js';
import type { ParamDecl, Params } from './params.js';
import { projectionDecls, projectionForward } from './projection.js';
import { backboneDecls, backboneForward, featureDim, type BackboneOptions } from './resnet.js';

export interface EncoderOptions {
  backbone: BackboneOptions;
  hiddenDim: number;
  outputDim: number;
  /** Classes of the dataset: only the supervised baseline's classifier needs them. */
  numClasses?: number;
}

export function encoderOptions(model: ModelSpec, inputChannels: number, numClasses?: number): EncoderOptions {
  return {
    ...(numClasses !== undefined ? { numClasses } : {}),
    backbone: { inputChannels, widths: model.widths, blocksPerStage: model.blocksPerStage, stemStride: model.stemStride },
    hiddenDim: model.projectionHidden,
    outputDim: model.projectionDim,
  };
}

export function encoderDecls(o: EncoderOptions): ParamDecl[] {
  return [...backboneDecls(o.backbone), ...projectionDecls({ inputDim: featureDim(o.backbone), hiddenDim: o.hiddenDim, outputDim: o.outputDim })];
}

/** L2-normalized embedding of a batch: what contrastive losses compare. */
export function embed(p: Params, o: EncoderOptions, x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D {
  const features = backboneForward(p, o.backbone, x, mode);
  return l2Normalize(projectionForward(p, features));
}

export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.add(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
}
