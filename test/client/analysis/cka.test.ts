import { describe, expect, it } from 'vitest';
import { linearCka, rbfCka, type FeatureMatrix } from '../../../client/analysis/cka.js';
import { Random } from '../../../shared/random.js';
import { gaussianMatrix, mapEntries, multiply } from '../../support/random-features.js';

/** A random [dim, dim] orthogonal matrix: Gram-Schmidt on the rows of a Gaussian matrix. */
function randomOrthogonal(dim: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const q = Float64Array.from({ length: dim * dim }, () => rng.normal());
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < i; j++) {
      let projection = 0;
      for (let d = 0; d < dim; d++) projection += q[i * dim + d] * q[j * dim + d];
      for (let d = 0; d < dim; d++) q[i * dim + d] -= projection * q[j * dim + d];
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += q[i * dim + d] ** 2;
    for (let d = 0; d < dim; d++) q[i * dim + d] /= Math.sqrt(norm);
  }
  return q;
}

/** A representation related to `x` but not a rotation of it: a random projection, a tanh, some noise. */
function relatedTo(x: FeatureMatrix, dim: number, seed: number): FeatureMatrix {
  const projected = multiply(x, gaussianMatrix(x.dim, dim, seed).values, dim);
  const noise = gaussianMatrix(x.count, dim, seed + 1);
  return mapEntries(projected, (v, i) => Math.tanh(v / 3) + 0.3 * noise.values[i]);
}

const bothCkas = [
  ['linear', (a: FeatureMatrix, b: FeatureMatrix) => linearCka(a, b)],
  ['rbf', (a: FeatureMatrix, b: FeatureMatrix) => rbfCka(a, b)],
] as const;

describe.each(bothCkas)('%s CKA', (_, cka) => {
  const x = gaussianMatrix(200, 24, 1, 0.5);
  const y = relatedTo(x, 10, 2);

  it('is 1 for identical representations, narrow or wider than the probe set', () => {
    expect(cka(x, x)).toBeCloseTo(1, 6);
    const wide = gaussianMatrix(30, 80, 3);
    expect(cka(wide, wide)).toBeCloseTo(1, 6);
  });

  it('is invariant to an orthogonal transform and to isotropic scaling of either side', () => {
    const q = randomOrthogonal(x.dim, 4);
    const rotated = multiply(x, q, x.dim);
    expect(cka(x, rotated)).toBeCloseTo(1, 6);
    const base = cka(x, y);
    expect(base).toBeGreaterThan(0.2);
    expect(base).toBeLessThan(0.95);
    expect(cka(mapEntries(rotated, (v) => 3.7 * v), mapEntries(y, (v) => 0.2 * v))).toBeCloseTo(base, 6);
  });

  it('is not invariant to scaling the features unevenly (so the invariances above are not vacuous)', () => {
    const stretched = mapEntries(x, (v, i) => (i % x.dim < 3 ? 10 * v : v));
    expect(Math.abs(cka(stretched, y) - cka(x, y))).toBeGreaterThan(0.01);
  });

  it('is symmetric', () => {
    expect(cka(y, x)).toBeCloseTo(cka(x, y), 10);
  });

  it('ignores constant features, and is 0 (not NaN) for a representation that does not vary', () => {
    // A constant column whose mean is not exact in floating point must still add nothing.
    const padded: FeatureMatrix = { values: new Float32Array(x.count * (x.dim + 1)), count: x.count, dim: x.dim + 1 };
    for (let r = 0; r < x.count; r++) {
      padded.values.set(x.values.subarray(r * x.dim, (r + 1) * x.dim), r * padded.dim);
      padded.values[r * padded.dim + x.dim] = 0.1;
    }
    expect(cka(padded, y)).toBeCloseTo(cka(x, y), 10);
    const constant = mapEntries(x, () => 0.1);
    expect(cka(constant, y)).toBe(0);
    expect(cka(constant, constant)).toBe(0);
  });

  it('names both row counts when the representations cover different samples', () => {
    const fewer = gaussianMatrix(199, 24, 5);
    expect(() => cka(x, fewer)).toThrow(/200 rows and y has 199/);
    expect(() => cka({ values: new Float32Array(10), count: 4, dim: 3 }, { values: new Float32Array(12), count: 4, dim: 3 })).toThrow(/10 values/);
    expect(() => cka(mapEntries(x, (v, i) => (i === 7 ? NaN : v)), x)).toThrow(/NaN/);
  });
});

describe('linear CKA', () => {
  it('computes the same value in feature space and through Gram matrices', () => {
    for (const [count, dx, dy] of [
      [300, 20, 7],
      [40, 100, 60],
    ]) {
      const x = gaussianMatrix(count, dx, count + dx, 2);
      const y = relatedTo(x, dy, count + dy);
      const viaFeatures = linearCka(x, y, { form: 'features' });
      expect(linearCka(x, y, { form: 'gram' })).toBeCloseTo(viaFeatures, 10);
      expect(linearCka(x, y)).toBeCloseTo(viaFeatures, 10);
    }
  });

  it('is near 0 for independent random features when the samples far outnumber the features', () => {
    // For independent Xc [n, dx] and Yc [n, dy] with unit-variance entries, ||Yc'Xc||^2 is
    // about n dx dy while ||Xc'Xc|| is about n sqrt(dx) (and likewise for Y), so CKA is
    // about sqrt(dx dy) / n = 0.016 here, with a relative spread of sqrt(2 / (dx dy)), 4%.
    // The common offset of 3 would make uncentered features look alike (CKA near 1).
    const count = 2000;
    const dim = 32;
    const expected = Math.sqrt(dim * dim) / count;
    const value = linearCka(gaussianMatrix(count, dim, 6, 3), gaussianMatrix(count, dim, 7, 3));
    expect(value).toBeGreaterThan(0.7 * expected);
    expect(value).toBeLessThan(1.3 * expected);
  });
});

describe('RBF CKA', () => {
  const x = gaussianMatrix(150, 16, 8);

  it('scores a noisy copy well above independent features', () => {
    const noise = gaussianMatrix(150, 16, 9);
    const noisyCopy = mapEntries(x, (v, i) => v + 0.3 * noise.values[i]);
    const independent = gaussianMatrix(150, 16, 10);
    expect(rbfCka(x, noisyCopy)).toBeGreaterThan(0.8);
    expect(rbfCka(x, independent)).toBeLessThan(0.3);
  });

  it('takes the kernel width as a fraction of the median distance', () => {
    const y = relatedTo(x, 8, 11);
    expect(Math.abs(rbfCka(x, y, { bandwidth: 0.3 }) - rbfCka(x, y))).toBeGreaterThan(0.01);
    expect(rbfCka(x, y, { bandwidth: 1 })).toBe(rbfCka(x, y));
    expect(() => rbfCka(x, y, { bandwidth: 0 })).toThrow(/bandwidth/);
    expect(() => rbfCka(x, y, { bandwidth: NaN })).toThrow(/bandwidth/);
  });

  it('keeps a usable width when most samples are duplicates', () => {
    // 120 of the 150 rows are one row repeated: 7,140 of the 11,175 pairs coincide, so the median distance is 0.
    const duplicated = mapEntries(x, (v, i) => (Math.floor(i / x.dim) < 120 ? x.values[i % x.dim] : v));
    const value = rbfCka(duplicated, duplicated);
    expect(value).toBeCloseTo(1, 6);
    expect(rbfCka(duplicated, x)).toBeGreaterThan(0);
  });
});
