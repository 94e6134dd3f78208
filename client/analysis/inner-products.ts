/**
 * Inner products of Float64 vectors stored back to back in one array: the inner loop of
 * CKA (Kornblith et al. 2019, https://arxiv.org/abs/1905.00414) and of the few-shot
 * classifiers. Plain TypeScript: the analyses run on small probe sets, where a tensor
 * round trip costs more than it saves and float32 sums of squares lose too much.
 */

/** Inner product of `length` entries of `a` from `aStart` with `length` entries of `b` from `bStart`. */
export function dot(a: Float64Array, aStart: number, b: Float64Array, bStart: number, length: number): number {
  // Four independent sums: the additions no longer wait on each other, about twice as fast.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < length; k += 4) {
    s0 += a[aStart + k] * b[bStart + k];
    s1 += a[aStart + k + 1] * b[bStart + k + 1];
    s2 += a[aStart + k + 2] * b[bStart + k + 2];
    s3 += a[aStart + k + 3] * b[bStart + k + 3];
  }
  for (; k < length; k++) s0 += a[aStart + k] * b[bStart + k];
  return s0 + s1 + s2 + s3;
}

/**
 * The symmetric [count, count] matrix of inner products between `count` vectors of
 * `length` entries each, stored one after another in `vectors`: a Gram matrix.
 */
export function innerProducts(vectors: Float64Array, count: number, length: number): Float64Array {
  const out = new Float64Array(count * count);
  for (let i = 0; i < count; i++) {
    for (let j = i; j < count; j++) {
      const v = dot(vectors, i * length, vectors, j * length, length);
      out[i * count + j] = v;
      out[j * count + i] = v;
    }
  }
  return out;
}

/** The [aCount, bCount] matrix of inner products between the vectors of `a` and those of `b`, all `length` long. */
export function crossProducts(a: Float64Array, aCount: number, b: Float64Array, bCount: number, length: number): Float64Array {
  const out = new Float64Array(aCount * bCount);
  for (let i = 0; i < aCount; i++) {
    for (let j = 0; j < bCount; j++) out[i * bCount + j] = dot(a, i * length, b, j * length, length);
  }
  return out;
}

/** Frobenius inner product of two matrices of the same shape (the sum of their entries' products). */
export function frobenius(a: Float64Array, b: Float64Array): number {
  return dot(a, 0, b, 0, a.length);
}
