/**
 * MoCo-v2's projection head: a two-layer MLP from the representation to the embedding
 * on which the contrastive loss is computed. Its parameters: shared/model/heads.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense } from './layers.js';
import type { Params } from './params.js';

export { projectionDecls, type ProjectionOptions } from '../../shared/model/heads.js';

export function projectionForward(p: Params, x: tf.Tensor2D): tf.Tensor2D {
  return dense(p, 'head.fc2', tf.relu(dense(p, 'head.fc1', x)));
}
