/**
 * The encoder every SSL method trains: backbone plus projection head, built from the
 * narrow model options a task carries. Its parameter layout is shared/model/encoder.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EncoderOptions } from '../../shared/model/encoder.js';
import type { ForwardMode } from './layers.js';
import type { Params } from './params.js';
import { projectionForward } from './projection.js';
import { backboneForward } from './resnet.js';
import { unitRows } from './unit-rows.js';

export { encoderDecls, encoderOptions, type EncoderOptions } from '../../shared/model/encoder.js';

/** L2-normalized embedding of a batch: what contrastive losses compare. */
export function embed(p: Params, o: EncoderOptions, x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D {
  const features = backboneForward(p, o.backbone, x, mode);
  return l2Normalize(projectionForward(p, features));
}

/**
 * Rows scaled to unit length (`unitRows`): x / (|x| + eps) would give a NaN gradient at an
 * all-zero row, which a projection head emits when all of a sample's hidden ReLUs are off.
 */
export const l2Normalize = unitRows;
