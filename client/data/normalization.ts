/**
 * The per-channel standardization of a dataset's pixels: computed once per dataset,
 * applied by the augmentation workers (data/) and to un-augmented batches (engine/).
 */
import type { ImageSet } from '../../shared/dataset-types.js';

/** Per-channel mean and standard deviation of pixel values in [0, 1]. */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** The mean and standard deviation of each channel over every pixel of `set`. */
export function computeNormalization(set: ImageSet): Normalization {
  const c = set.channels;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const n = set.count * set.height * set.width;
  for (let i = 0; i < n * c; i++) {
    const v = set.images[i] / 255;
    sum[i % c] += v;
    sq[i % c] += v * v;
  }
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, i) => Math.sqrt(Math.max(s / n - mean[i] * mean[i], 1e-8)));
  return { mean, std };
}
