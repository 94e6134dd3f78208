import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AugmentOptions } from '../../../client/data/augment.js';
import { augmentView, drawView, twoViews, viewSeeds, type ImagePool } from '../../../client/data/augment-cpu.js';
import { Random } from '../../../shared/random.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

function randomPool(count: number, height: number, width: number, channels: number, seed = 1): ImagePool {
  const rng = new Random(seed);
  const images = new Uint8Array(count * height * width * channels);
  for (let i = 0; i < images.length; i++) images[i] = rng.int(0, 256);
  return { images, count, height, width, channels };
}

const FULL: AugmentOptions = { size: 12, cropScale: [0.2, 1], flip: true, jitter: 0.4, jitterProbability: 0.8, blurProbability: 0.5 };
const IDENTITY: AugmentOptions = { size: 12, cropScale: [1, 1], flip: false, jitter: 0.4, jitterProbability: 0, blurProbability: 0 };
const NORM = { mean: [0.4], std: [0.3] };
const indices = [3, 0, 7, 7, 5, 1, 2, 6];

function bytes(x: Float32Array): Buffer {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

/** The normalized original image `k` of `pool`, as a float array. */
function normalizedImage(pool: ImagePool, k: number, norm: { mean: number[]; std: number[] }): Float32Array {
  const per = pool.height * pool.width * pool.channels;
  return Float32Array.from(pool.images.subarray(k * per, (k + 1) * per), (v, i) => (v / 255 - norm.mean[i % pool.channels]) / norm.std[i % pool.channels]);
}

function mirror(img: Float32Array, size: number, channels: number): Float32Array {
  const out = new Float32Array(img.length);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      for (let c = 0; c < channels; c++) out[(y * size + x) * channels + c] = img[(y * size + (size - 1 - x)) * channels + c];
  return out;
}

describe('augmentView (plain JS)', () => {
  const pool = randomPool(8, 12, 12, 1);

  it('is deterministic in the seed: same seed same bytes, another seed other bytes', () => {
    const a = augmentView(pool, indices, FULL, NORM, 42);
    const b = augmentView(pool, indices, FULL, NORM, 42);
    const c = augmentView(pool, indices, FULL, NORM, 43);
    expect(a.length).toBe(indices.length * 12 * 12);
    expect(bytes(a).equals(bytes(b))).toBe(true);
    expect(bytes(a).equals(bytes(c))).toBe(false);
  });

  it('gives each batch and each view its own seed', () => {
    const [s1, s2] = viewSeeds(7, 0);
    const [t1] = viewSeeds(7, 1);
    expect(new Set([s1, s2, t1]).size).toBe(3);
    const { view1, view2 } = twoViews(pool, indices, FULL, NORM, 7, 0);
    expect(bytes(view1).equals(bytes(augmentView(pool, indices, FULL, NORM, s1)))).toBe(true);
    expect(bytes(view2).equals(bytes(augmentView(pool, indices, FULL, NORM, s2)))).toBe(true);
    expect(bytes(view1).equals(bytes(view2))).toBe(false);
  });

  it('with scale [1, 1] and nothing else reproduces the normalized original image', () => {
    const colour = randomPool(4, 12, 12, 3, 5);
    const norm = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] };
    const out = augmentView(colour, [2, 0, 3], IDENTITY, norm, 9);
    const per = 12 * 12 * 3;
    [2, 0, 3].forEach((k, n) => {
      const expected = normalizedImage(colour, k, norm);
      const got = out.subarray(n * per, (n + 1) * per);
      for (let i = 0; i < per; i++) expect(got[i]).toBeCloseTo(expected[i], 5);
    });
  });

  it('flip mirrors the image and changes no other draw', () => {
    const plain = augmentView(pool, indices, IDENTITY, NORM, 11);
    const flipped = augmentView(pool, indices, { ...IDENTITY, flip: true }, NORM, 11);
    const per = 12 * 12;
    let mirrored = 0;
    for (let n = 0; n < indices.length; n++) {
      const a = plain.subarray(n * per, (n + 1) * per);
      const b = flipped.subarray(n * per, (n + 1) * per);
      if (bytes(a).equals(bytes(b))) continue;
      expect(Array.from(b)).toEqual(Array.from(mirror(a, 12, 1)));
      mirrored++;
    }
    expect(mirrored).toBeGreaterThan(0);
    expect(mirrored).toBeLessThan(indices.length);
  });

  it('crops and resizes like tf.image.cropAndResize, flipped boxes included', () => {
    const o: AugmentOptions = { ...FULL, size: 9, jitterProbability: 0, blurProbability: 0 };
    const draws = drawView(o, 21, indices.length);
    expect(draws.some((d) => d.x1 > d.x2)).toBe(true);
    const got = augmentView(pool, indices, o, NORM, 21);
    const expected = tf.tidy(() => {
      const unit = tf.div(tf.tensor4d(pool.images, [8, 12, 12, 1], 'float32'), 255) as tf.Tensor4D;
      const boxes = tf.tensor2d(draws.flatMap((d) => [d.y1, d.x1, d.y2, d.x2]), [indices.length, 4]);
      const crops = tf.image.cropAndResize(unit, boxes, tf.tensor1d(indices, 'int32'), [9, 9], 'bilinear');
      return tf.div(tf.sub(tf.clipByValue(crops, 0, 1), NORM.mean[0]), NORM.std[0]).dataSync();
    });
    expect(got.length).toBe(expected.length);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    expect(worst).toBeLessThan(1e-4);
  });

  it('clips to [0, 1] before normalizing, whatever the jitter', () => {
    const strong: AugmentOptions = { ...FULL, jitter: 1, jitterProbability: 1 };
    const out = augmentView(pool, indices, strong, NORM, 3);
    const lo = (0 - NORM.mean[0]) / NORM.std[0];
    const hi = (1 - NORM.mean[0]) / NORM.std[0];
    let atLo = 0;
    let atHi = 0;
    for (const v of out) {
      expect(v).toBeGreaterThanOrEqual(Math.fround(lo) - 1e-6);
      expect(v).toBeLessThanOrEqual(Math.fround(hi) + 1e-6);
      if (Math.abs(v - lo) < 1e-6) atLo++;
      if (Math.abs(v - hi) < 1e-6) atHi++;
    }
    expect(atLo + atHi).toBeGreaterThan(0);
  });

  it('blurs with a normalized 3x3 Gaussian: a flat image stays flat inside, its border darkens', () => {
    const flat: ImagePool = { images: new Uint8Array(12 * 12).fill(204), count: 1, height: 12, width: 12, channels: 1 };
    const unit = { mean: [0], std: [1] };
    const out = augmentView(flat, [0], { ...IDENTITY, blurProbability: 1 }, unit, 1);
    expect(out[5 * 12 + 5]).toBeCloseTo(0.8, 5);
    expect(out[0]).toBeCloseTo(0.8 * 0.72099 * 0.72099, 4); // corner: two taps of three on each axis
    expect(out[5]).toBeCloseTo(0.8 * 0.72099, 4);
  });

  it('standardizes each channel with its own mean and std', () => {
    const images = new Uint8Array(6 * 6 * 3);
    for (let i = 0; i < images.length; i += 3) images.set([255, 0, 51], i);
    const pool3: ImagePool = { images, count: 1, height: 6, width: 6, channels: 3 };
    const norm = { mean: [0.5, 0.25, 0.1], std: [0.5, 0.25, 0.2] };
    const out = augmentView(pool3, [0, 0], { ...FULL, size: 6, jitterProbability: 0, blurProbability: 0 }, norm, 4);
    for (let i = 0; i < out.length; i += 3) {
      expect(out[i]).toBeCloseTo(1, 5);
      expect(out[i + 1]).toBeCloseTo(-1, 5);
      expect(out[i + 2]).toBeCloseTo(0.5, 5);
    }
  });

  it('names a bad index', () => {
    expect(() => augmentView(pool, [0, 8], FULL, NORM, 1)).toThrow(/index 8 \(batch position 1\) is outside the pool of 8 images/);
  });
});
