/**
 * Frozen-backbone features of a labeled image set, in evaluation mode (batch-norm
 * running statistics), computed in batches so memory stays flat.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../../shared/dataset-types.js';
import { toInputBatch, type Normalization } from '../engine/batches.js';
import type { Params } from '../models/params.js';
import { backboneForward, featureDim, type BackboneOptions } from '../models/resnet.js';

export interface FeatureSet {
  /** Row-major [count, dim]. */
  values: Float32Array;
  labels: Uint8Array;
  count: number;
  dim: number;
}

export function extractFeatures(p: Params, o: BackboneOptions, set: ImageSet, norm: Normalization, batchSize = 256): FeatureSet {
  const dim = featureDim(o);
  const values = new Float32Array(set.count * dim);
  for (let start = 0; start < set.count; start += batchSize) {
    const end = Math.min(set.count, start + batchSize);
    const indices = Array.from({ length: end - start }, (_, i) => start + i);
    const batch = tf.tidy(() => backboneForward(p, o, toInputBatch(set, indices, norm), { training: false, bnGroups: 1 }));
    values.set(batch.dataSync(), start * dim);
    batch.dispose();
  }
  return { values, labels: set.labels.slice(0, set.count), count: set.count, dim };
}
