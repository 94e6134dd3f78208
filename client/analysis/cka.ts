/**
 * Centered kernel alignment (CKA): how alike two representations of the same probe
 * samples are (a stage against the previous stage, a relay model against the joint one),
 * after Kornblith et al. 2019, "Similarity of Neural Network Representations Revisited",
 * https://arxiv.org/abs/1905.00414. It is invariant to orthogonal transforms and to
 * isotropic scaling of either representation, so it compares what two networks encode
 * rather than how their units happen to be arranged.
 *
 * Computed in Float64 on the CPU. The Gram forms take count x count matrices (8 MB at
 * 1,000 probe samples), so keep probe sets to a few thousand samples.
 *
 * A representation that does not vary over the probe set (every row the same: a
 * collapsed encoder, dead units) shares no structure with anything: its CKA is 0, even
 * against itself, where the formula would give 0/0.
 */
import type { FeatureSet } from '../eval/features.js';
import { crossProducts, frobenius, innerProducts } from './inner-products.js';

/** Features of the probe samples, row-major [count, dim]: a `FeatureSet`, labels optional. */
export type FeatureMatrix = Pick<FeatureSet, 'values' | 'count' | 'dim'>;

export interface LinearCkaOptions {
  /**
   * 'features' works with dim x dim products (||Yc'Xc||^2 / (||Xc'Xc|| ||Yc'Yc||)),
   * 'gram' with count x count Gram matrices; both give the same value. 'auto' (the
   * default) takes the cheaper: features when the dims are small next to the count.
   */
  form?: 'auto' | 'features' | 'gram';
}

export interface RbfCkaOptions {
  /** Kernel width as a fraction of each representation's median pairwise distance (default 1). */
  bandwidth?: number;
}

/** Column-centered features in Float64. */
interface Centered {
  /** Row-major [count, dim] (layout 'rows') or column-major [dim, count] (layout 'columns'). */
  values: Float64Array;
  /** False when every row is the same, so there is nothing to compare. */
  varies: boolean;
}

function checkMatrix(m: FeatureMatrix, caller: string, name: string): void {
  if (!Number.isInteger(m.count) || !Number.isInteger(m.dim) || m.count < 2 || m.dim < 1) {
    throw new Error(`${caller}: ${name} needs at least 2 rows and 1 column, got ${m.count} x ${m.dim}`);
  }
  if (m.values.length !== m.count * m.dim) {
    throw new Error(`${caller}: ${name} has ${m.values.length} values, expected count x dim = ${m.count} x ${m.dim}`);
  }
}

function checkPair(x: FeatureMatrix, y: FeatureMatrix, caller: string): void {
  checkMatrix(x, caller, 'x');
  checkMatrix(y, caller, 'y');
  if (x.count !== y.count) {
    throw new Error(`${caller}: x and y must hold the same probe samples, one a row, but x has ${x.count} rows and y has ${y.count}`);
  }
}

/** Subtracts each column's mean, and tells whether any row differs from the first. */
function centered(m: FeatureMatrix, layout: 'rows' | 'columns', caller: string): Centered {
  const { values, count, dim } = m;
  const sum = new Float64Array(dim);
  // Decided on the values themselves: centered, a constant column is its mean's rounding
  // error, which the CKA ratio would happily compare.
  let varies = false;
  for (let r = 0; r < count; r++) {
    for (let d = 0; d < dim; d++) {
      const v = values[r * dim + d];
      if (!Number.isFinite(v)) throw new Error(`${caller}: feature ${d} of row ${r} is ${v}`);
      sum[d] += v;
      if (v !== values[d]) varies = true;
    }
  }
  const out = new Float64Array(count * dim);
  for (let r = 0; r < count; r++) {
    for (let d = 0; d < dim; d++) out[layout === 'rows' ? r * dim + d : d * count + r] = values[r * dim + d] - sum[d] / count;
  }
  return { values: out, varies };
}

/** HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) of two centered Gram matrices (the 1/(n-1)^2 factors cancel). */
function alignment(k: Float64Array, l: Float64Array): number {
  return frobenius(k, l) / Math.sqrt(frobenius(k, k) * frobenius(l, l));
}

/**
 * Multiply-adds of the two forms: the feature form takes dx^2/2 + dy^2/2 + dx*dy products
 * of length count; the Gram form count^2/2 products of length dx and of length dy, then
 * three passes over count x count matrices.
 */
function featureFormIsCheaper(count: number, dx: number, dy: number): boolean {
  return (dx + dy) * (dx + dy) < count * (dx + dy + 6);
}

/** Linear CKA of two representations of the same samples, in [0, 1]. */
export function linearCka(x: FeatureMatrix, y: FeatureMatrix, options: LinearCkaOptions = {}): number {
  checkPair(x, y, 'linearCka');
  const form = options.form ?? 'auto';
  const n = x.count;
  if (form === 'features' || (form === 'auto' && featureFormIsCheaper(n, x.dim, y.dim))) {
    const cx = centered(x, 'columns', 'linearCka');
    const cy = centered(y, 'columns', 'linearCka');
    if (!cx.varies || !cy.varies) return 0;
    // ||Xc Xc'||_F = ||Xc'Xc||_F and <Xc Xc', Yc Yc'>_F = ||Yc'Xc||_F^2: the Gram alignment in dim x dim terms.
    const xx = innerProducts(cx.values, x.dim, n);
    const yy = innerProducts(cy.values, y.dim, n);
    const yx = crossProducts(cy.values, y.dim, cx.values, x.dim, n);
    return frobenius(yx, yx) / Math.sqrt(frobenius(xx, xx) * frobenius(yy, yy));
  }
  const cx = centered(x, 'rows', 'linearCka');
  const cy = centered(y, 'rows', 'linearCka');
  if (!cx.varies || !cy.varies) return 0;
  // Gram matrices of centered features are already centered: H K H = Xc Xc'.
  return alignment(innerProducts(cx.values, n, x.dim), innerProducts(cy.values, n, y.dim));
}

/** The median of the distances between distinct rows, from their squared distances (the upper triangle of `squared`). */
function medianDistance(squared: Float64Array, n: number): number {
  const pairs = new Float64Array((n * (n - 1)) / 2);
  let p = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs[p++] = squared[i * n + j];
  pairs.sort();
  // When more than half of the pairs coincide (duplicated samples) the median is 0, a
  // kernel of zero width; the median of the distances that are not 0 keeps it usable.
  let first = 0;
  while (pairs[first] === 0) first++;
  const middle = first + (pairs.length - first - 1) / 2;
  return (Math.sqrt(pairs[Math.floor(middle)]) + Math.sqrt(pairs[Math.ceil(middle)])) / 2;
}

/** |a - b|^2 of two rows of `rows`, from their differences: |a|^2 + |b|^2 - 2 a.b cancels for close rows. */
function squaredDistance(rows: Float64Array, aStart: number, bStart: number, length: number): number {
  // Two independent sums, as in `dot`.
  let s0 = 0;
  let s1 = 0;
  let k = 0;
  for (; k + 1 < length; k += 2) {
    const d0 = rows[aStart + k] - rows[bStart + k];
    const d1 = rows[aStart + k + 1] - rows[bStart + k + 1];
    s0 += d0 * d0;
    s1 += d1 * d1;
  }
  if (k < length) {
    const d = rows[aStart + k] - rows[bStart + k];
    s0 += d * d;
  }
  return s0 + s1;
}

/** The double-centered RBF Gram matrix H K H, K_ij = exp(-|xi - xj|^2 / (2 sigma^2)), sigma = bandwidth x median distance. */
function centeredRbfGram(rows: Float64Array, n: number, dim: number, bandwidth: number): Float64Array {
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = squaredDistance(rows, i * dim, j * dim, dim);
      k[i * n + j] = s;
      k[j * n + i] = s;
    }
  }
  const sigma = bandwidth * medianDistance(k, n);
  const scale = -1 / (2 * sigma * sigma);
  for (let i = 0; i < k.length; i++) k[i] = Math.exp(k[i] * scale);
  // K is symmetric: its column means are its row means.
  const rowMean = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += k[i * n + j];
    rowMean[i] = s / n;
  }
  let grandMean = 0;
  for (let i = 0; i < n; i++) grandMean += rowMean[i] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] += grandMean - rowMean[i] - rowMean[j];
  return k;
}

/**
 * RBF-kernel CKA of two representations of the same samples, in [0, 1]. The kernel
 * width follows each representation's median pairwise distance, which keeps the value
 * invariant to isotropic scaling as well as to orthogonal transforms.
 */
export function rbfCka(x: FeatureMatrix, y: FeatureMatrix, options: RbfCkaOptions = {}): number {
  checkPair(x, y, 'rbfCka');
  return kernelCka(centeredRbfKernel(x, options), centeredRbfKernel(y, options));
}

/**
 * The double-centered RBF Gram matrix of one representation ([count, count]), or null
 * when every row is the same. Computing it once per representation lets many pairs share
 * it (`kernelCka`); `rbfCka` is `kernelCka` of two of them.
 */
export function centeredRbfKernel(x: FeatureMatrix, options: RbfCkaOptions = {}): Float64Array | null {
  const bandwidth = options.bandwidth ?? 1;
  if (!(bandwidth > 0) || !Number.isFinite(bandwidth)) throw new Error(`rbfCka: bandwidth must be a positive number, got ${bandwidth}`);
  // Centering changes no distance; it only keeps the differences of large features exact.
  const c = centered(x, 'rows', 'rbfCka');
  return c.varies ? centeredRbfGram(c.values, x.count, x.dim, bandwidth) : null;
}

/** CKA of two centered kernels of the same samples (0 when either representation is constant). */
export function kernelCka(k: Float64Array | null, l: Float64Array | null): number {
  if (!k || !l) return 0;
  if (k.length !== l.length) throw new Error(`kernelCka: kernels of ${Math.sqrt(k.length)} and ${Math.sqrt(l.length)} samples`);
  return alignment(k, l);
}
