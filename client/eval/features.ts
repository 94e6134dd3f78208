/**
 * Frozen-backbone features of a labeled image set, in evaluation mode (batch-norm
 * running statistics, folded into the convolutions: ../models/folded.ts), computed in
 * batches so memory stays flat: the pooled
 * representation, or each stage's pooled output for layer-wise analyses such as CKA
 * (Kornblith et al. 2019, https://arxiv.org/abs/1905.00414).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../../shared/dataset-types.js';
import type { Normalization } from '../data/normalization.js';
import { toInputBatch } from '../engine/batches.js';
import { disposeFolded, foldBackbone, foldedForward } from '../models/folded.js';
import type { Params } from '../models/params.js';
import { featureDim, type BackboneOptions } from '../models/resnet.js';

export interface FeatureSet {
  /** Row-major [count, dim]. */
  values: Float32Array;
  labels: Uint8Array;
  count: number;
  dim: number;
}

/** Images per forward pass. */
export const EVAL_BATCH = 256;

/**
 * One feature set per output of `forward`, whose widths are `dims`, over every image of
 * `set`. `forward` runs inside a tidy: only the tensors it returns survive it.
 */
function extractBatched(set: ImageSet, norm: Normalization, batchSize: number, dims: number[], forward: (x: tf.Tensor4D) => tf.Tensor2D[]): FeatureSet[] {
  const values = dims.map((dim) => new Float32Array(set.count * dim));
  for (let start = 0; start < set.count; start += batchSize) {
    const end = Math.min(set.count, start + batchSize);
    const indices = Array.from({ length: end - start }, (_, i) => start + i);
    const outputs = tf.tidy(() => forward(toInputBatch(set, indices, norm)));
    outputs.forEach((batch, i) => values[i].set(batch.dataSync(), start * dims[i]));
    tf.dispose(outputs);
  }
  return dims.map((dim, i) => ({ values: values[i], labels: set.labels.slice(0, set.count), count: set.count, dim }));
}

/** The pooled representation of every image of `set`. */
export function extractFeatures(p: Params, o: BackboneOptions, set: ImageSet, norm: Normalization, batchSize = EVAL_BATCH): FeatureSet {
  const folded = foldBackbone(p, o);
  try {
    return extractBatched(set, norm, batchSize, [featureDim(o)], (x) => [foldedForward(folded, o, x)])[0];
  } finally {
    disposeFolded(folded);
  }
}

/** Each backbone stage's pooled output, first stage first; the last equals `extractFeatures`. */
export function extractStageFeatures(p: Params, o: BackboneOptions, set: ImageSet, norm: Normalization, batchSize = EVAL_BATCH): FeatureSet[] {
  const folded = foldBackbone(p, o);
  try {
    return extractBatched(set, norm, batchSize, o.widths, (x) => {
      const stages: tf.Tensor2D[] = [];
      foldedForward(folded, o, x, stages);
      return stages;
    });
  } finally {
    disposeFolded(folded);
  }
}
