/**
 * MoCo-v2's projection head: a two-layer MLP from the representation to the embedding
 * on which the contrastive loss is computed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense, denseDecls } from './layers.js';
import type { ParamDecl, Params } from './params.js';

export interface ProjectionOptions {
  inputDim: number;
  hiddenDim: number;
  outputDim: number;
}

export function projectionDecls(o: ProjectionOptions): ParamDecl[] {
  return [...denseDecls('head.fc1', o.inputDim, o.hiddenDim), ...denseDecls('head.fc2', o.hiddenDim, o.outputDim)];
}

export function projectionForward(p: Params, x: tf.Tensor2D): tf.Tensor2D {
  return dense(p, 'head.fc2', tf.relu(dense(p, 'head.fc1', x)));
}
