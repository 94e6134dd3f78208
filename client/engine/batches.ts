/**
 * Turning uint8 images into input tensors: gathering a batch, scaling to [0, 1] and
 * standardizing per channel with the dataset's statistics; uploading a pipeline's
 * augmented batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../../shared/dataset-types.js';
import { shuffledIndices } from '../../shared/random.js';
import type { Normalization } from '../data/normalization.js';
import type { ViewBatch } from '../data/pipeline.js';
import type { TrainBatch } from '../ssl/method.js';

/** The images at `indices` as a float batch in [0, 1], NHWC. */
export function toUnitBatch(set: ImageSet, indices: ArrayLike<number>): tf.Tensor4D {
  const pixels = set.height * set.width * set.channels;
  const buffer = new Float32Array(indices.length * pixels);
  for (let b = 0; b < indices.length; b++) {
    const offset = indices[b] * pixels;
    const row = set.images.subarray(offset, offset + pixels);
    for (let i = 0; i < pixels; i++) buffer[b * pixels + i] = row[i] / 255;
  }
  return tf.tensor4d(buffer, [indices.length, set.height, set.width, set.channels]);
}

export function normalize(x: tf.Tensor4D, norm: Normalization): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(x, tf.tensor1d(norm.mean)), tf.tensor1d(norm.std)));
}

export function toInputBatch(set: ImageSet, indices: ArrayLike<number>, norm: Normalization): tf.Tensor4D {
  return tf.tidy(() => normalize(toUnitBatch(set, indices), norm));
}

/**
 * Un-augmented, normalized batches of up to `count` seeded-random samples of `set`. Each
 * batch is disposed when the next one is taken (or the loop ends).
 */
export function* inputBatches(set: ImageSet, norm: Normalization, count: number, batchSize: number, seed: number): Generator<tf.Tensor4D> {
  const order = shuffledIndices(set.count, seed).slice(0, Math.min(count, set.count));
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = toInputBatch(set, order.subarray(start, start + batchSize), norm);
    try {
      yield batch;
    } finally {
      batch.dispose();
    }
  }
}

/**
 * Two image sets of the same geometry as one (first, then second); its images in what
 * `bytes` allocates (e.g. sharedBytes for a training pool).
 */
export function concatSets(a: ImageSet, b: ImageSet, bytes: (length: number) => Uint8Array = (length) => new Uint8Array(length)): ImageSet {
  if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
    throw new Error(`cannot mix images of ${a.height}x${a.width}x${a.channels} with ${b.height}x${b.width}x${b.channels}`);
  }
  const images = bytes(a.images.length + b.images.length);
  images.set(a.images.subarray(0, a.count * a.height * a.width * a.channels));
  images.set(b.images.subarray(0, b.count * b.height * b.width * b.channels), a.count * a.height * a.width * a.channels);
  const labels = new Uint8Array(a.count + b.count);
  labels.set(a.labels.subarray(0, a.count));
  labels.set(b.labels.subarray(0, b.count), a.count);
  return { ...a, images, labels, count: a.count + b.count };
}

/** A pipeline batch's views (and labels, when it has them) as tensors; free them with disposeTrainBatch. */
export function trainBatchTensors(batch: ViewBatch): TrainBatch {
  return {
    view1: tf.tensor4d(batch.view1, batch.shape),
    view2: tf.tensor4d(batch.view2, batch.shape),
    labels: batch.labels ? tf.tensor1d(batch.labels, 'int32') : undefined,
  };
}

export function disposeTrainBatch({ view1, view2, labels }: TrainBatch): void {
  tf.dispose(labels ? [view1, view2, labels] : [view1, view2]);
}
