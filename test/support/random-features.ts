/** Test helper: seeded synthetic feature matrices for the analyses (CKA, few-shot). */
import type { FeatureMatrix } from '../../client/analysis/cka.js';
import { Random } from '../../shared/random.js';

/** A [count, dim] matrix of independent standard normal entries plus `offset`. */
export function gaussianMatrix(count: number, dim: number, seed: number, offset = 0): FeatureMatrix {
  const rng = new Random(seed);
  return { values: Float32Array.from({ length: count * dim }, () => offset + rng.normal()), count, dim };
}

/** x w for x [count, inner] and w row-major [inner, dim]. */
export function multiply(x: FeatureMatrix, w: ArrayLike<number>, dim: number): FeatureMatrix {
  const values = new Float32Array(x.count * dim);
  for (let r = 0; r < x.count; r++) {
    for (let k = 0; k < x.dim; k++) {
      const v = x.values[r * x.dim + k];
      for (let d = 0; d < dim; d++) values[r * dim + d] += v * w[k * dim + d];
    }
  }
  return { values, count: x.count, dim };
}

/** `f` applied to every entry of `x`. */
export function mapEntries(x: FeatureMatrix, f: (v: number, index: number) => number): FeatureMatrix {
  return { values: x.values.map(f), count: x.count, dim: x.dim };
}
