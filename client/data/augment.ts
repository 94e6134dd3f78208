/**
 * MoCo-v2's augmentation options (random resized crop, horizontal flip,
 * brightness/contrast jitter, Gaussian blur), adapted to small images. The pixel work
 * runs in plain JS off the training thread: ./augment-cpu.ts, driven by ./pipeline.ts.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AugmentOptions {
  /** Output side length in pixels. */
  size: number;
  cropScale: [number, number];
  flip: boolean;
  /** Strength of brightness and contrast jitter. */
  jitter: number;
  jitterProbability: number;
  blurProbability: number;
}

/** Center view for evaluation: resize to the training size without augmentation. */
export function centerBatch(images: tf.Tensor4D, size: number): tf.Tensor4D {
  if (images.shape[1] === size && images.shape[2] === size) return tf.clone(images);
  return tf.image.resizeBilinear(images, [size, size]);
}
