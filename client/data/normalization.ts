/**
 * The per-channel standardization of a dataset's pixels: computed once per dataset,
 * applied by the augmentation workers (data/) and to un-augmented batches (engine/).
 */
import { imageBlocks, type ImageSource } from './image-rows.js';

/** Per-channel mean and standard deviation of pixel values in [0, 1]. */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** Bytes of whole images read at a time from a set on file. */
const BLOCK_BYTES = 4 << 20;

/** The mean and standard deviation of each channel over every pixel of `set`. */
export function computeNormalization(set: ImageSource): Normalization {
  const c = set.channels;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const n = set.count * set.height * set.width;
  // Blocks hold whole images, so a block's pixel i is channel i % c.
  for (const block of imageBlocks(set, BLOCK_BYTES)) {
    for (let i = 0; i < block.length; i++) {
      const v = block[i] / 255;
      sum[i % c] += v;
      sq[i % c] += v * v;
    }
  }
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, i) => Math.sqrt(Math.max(s / n - mean[i] * mean[i], 1e-8)));
  return { mean, std };
}
