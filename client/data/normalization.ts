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
  // Blocks hold whole images, so a block's pixel i is channel i % c. Each channel is summed
  // in a loop of its own, in the same order as one loop over all pixels (the same sums),
  // with the running sums in locals: a pass over 47 MB took 200-270 ms, the arrays indexed
  // per pixel.
  for (const block of imageBlocks(set, BLOCK_BYTES)) {
    for (let ch = 0; ch < c; ch++) {
      let s = sum[ch];
      let q = sq[ch];
      for (let i = ch; i < block.length; i += c) {
        const v = block[i] / 255;
        s += v;
        q += v * v;
      }
      sum[ch] = s;
      sq[ch] = q;
    }
  }
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, i) => Math.sqrt(Math.max(s / n - mean[i] * mean[i], 1e-8)));
  return { mean, std };
}
