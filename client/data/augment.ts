/**
 * MoCo-v2's augmentations, adapted to small images: random resized crop, horizontal
 * flip, brightness/contrast jitter and Gaussian blur. Random draws come from a seeded
 * generator on the JS side, so a stage is reproducible; the pixel work is batched
 * tensor ops (one crop-and-resize call per batch).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../../shared/random.js';

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

const LOG_RATIO_MIN = Math.log(3 / 4);
const LOG_RATIO_MAX = Math.log(4 / 3);

/** A crop box [y1, x1, y2, x2] in normalized coordinates covering a random area and aspect. */
function randomCropBox(rng: Random, scale: [number, number], flip: boolean): number[] {
  const area = rng.uniform(scale[0], scale[1]);
  const ratio = Math.exp(rng.uniform(LOG_RATIO_MIN, LOG_RATIO_MAX));
  const w = Math.min(1, Math.sqrt(area * ratio));
  const h = Math.min(1, Math.sqrt(area / ratio));
  const y1 = rng.uniform(0, 1 - h);
  const x1 = rng.uniform(0, 1 - w);
  // crop-and-resize with x1 > x2 samples right to left: a flip at no extra cost.
  return flip ? [y1, x1 + w, y1 + h, x1] : [y1, x1, y1 + h, x1 + w];
}

const BLUR_KERNEL = (() => {
  const g = [0.27901, 0.44198, 0.27901]; // Gaussian, sigma 1, normalized
  const k: number[] = [];
  for (const a of g) for (const b of g) k.push(a * b);
  return k;
})();

function blur(x: tf.Tensor4D): tf.Tensor4D {
  const channels = x.shape[3];
  const kernel = tf.tile(tf.tensor4d(BLUR_KERNEL, [3, 3, 1, 1]), [1, 1, channels, 1]) as tf.Tensor4D;
  return tf.depthwiseConv2d(x, kernel, 1, 'same');
}

/** One random view of each image. `images` holds values in [0, 1], NHWC. */
export function augmentBatch(images: tf.Tensor4D, o: AugmentOptions, rng: Random): tf.Tensor4D {
  return tf.tidy(() => {
    const n = images.shape[0];
    const boxes: number[] = [];
    const brightness: number[] = [];
    const contrast: number[] = [];
    const blurMask: number[] = [];
    for (let i = 0; i < n; i++) {
      boxes.push(...randomCropBox(rng, o.cropScale, o.flip && rng.next() < 0.5));
      const jitter = rng.next() < o.jitterProbability;
      brightness.push(jitter ? rng.uniform(1 - o.jitter, 1 + o.jitter) : 1);
      contrast.push(jitter ? rng.uniform(1 - o.jitter, 1 + o.jitter) : 1);
      blurMask.push(rng.next() < o.blurProbability ? 1 : 0);
    }
    const indices = tf.tensor1d(Array.from({ length: n }, (_, i) => i), 'int32');
    let x = tf.image.cropAndResize(images, tf.tensor2d(boxes, [n, 4]), indices, [o.size, o.size], 'bilinear') as tf.Tensor4D;
    x = tf.mul(x, tf.tensor4d(brightness, [n, 1, 1, 1]));
    const mean = tf.mean(x, [1, 2, 3], true);
    x = tf.add(tf.mul(tf.sub(x, mean), tf.tensor4d(contrast, [n, 1, 1, 1])), mean);
    if (blurMask.some((b) => b === 1)) {
      const mask = tf.tensor4d(blurMask, [n, 1, 1, 1]);
      x = tf.add(tf.mul(blur(x), mask), tf.mul(x, tf.sub(1, mask)));
    }
    return tf.clipByValue(x, 0, 1);
  });
}

/** Center view for evaluation: resize to the training size without augmentation. */
export function centerBatch(images: tf.Tensor4D, size: number): tf.Tensor4D {
  if (images.shape[1] === size && images.shape[2] === size) return tf.clone(images);
  return tf.image.resizeBilinear(images, [size, size]);
}
