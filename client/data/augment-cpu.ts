/**
 * MoCo-v2's augmentations in plain JS, straight from uint8 images to a normalized
 * Float32 NHWC batch: random resized crop (bilinear, crop-and-resize convention),
 * horizontal flip, brightness/contrast jitter, 3x3 Gaussian blur, clip to [0, 1],
 * per-channel standardization. No tfjs, so it runs in worker threads (./pipeline.ts).
 *
 * Reproducible by construction: a view depends only on (images, indices, options, seed),
 * every sample consumes the same number of draws whatever the options, and each batch
 * has its own seed (`viewSeeds`), so any worker, in any order, yields the same bytes.
 */
import { deriveSeed, Random } from '../../shared/random.js';
import type { AugmentOptions } from './augment.js';
import type { Normalization } from './normalization.js';

/** Uint8 images, HWC per image, stored contiguously (an ImageSet's pixel part). */
export interface ImagePool {
  images: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

/** Two views of one batch, NHWC, normalized. */
export interface TwoViews {
  view1: Float32Array<ArrayBuffer>;
  view2: Float32Array<ArrayBuffer>;
}

const LOG_RATIO_MIN = Math.log(3 / 4);
const LOG_RATIO_MAX = Math.log(4 / 3);
const INV_255 = 1 / 255;
const BLUR = [0.27901, 0.44198, 0.27901]; // Gaussian, sigma 1, normalized; separable

/** The random decisions for one sample of one view. */
export interface SampleDraws {
  /** Crop box in normalized coordinates; x1 > x2 means sampled right to left (flip). */
  y1: number;
  x1: number;
  y2: number;
  x2: number;
  brightness: number;
  contrast: number;
  blur: boolean;
}

/**
 * Always nine draws per sample, in a fixed order, so switching one augmentation off
 * leaves every other draw (and so the rest of the view) unchanged.
 */
function drawSample(rng: Random, o: AugmentOptions): SampleDraws {
  const flip = rng.next() < 0.5 && o.flip;
  const area = rng.uniform(o.cropScale[0], o.cropScale[1]);
  // A box of this area fits in the image only if area <= ratio <= 1/area: clamping the
  // aspect (instead of clamping w and h) keeps the requested area, so scale [1, 1] is
  // the whole image, as with torchvision's fallback.
  const limit = -Math.log(area);
  const logRatio = Math.min(limit, Math.max(-limit, rng.uniform(LOG_RATIO_MIN, LOG_RATIO_MAX)));
  const ratio = Math.exp(logRatio);
  const w = Math.min(1, Math.sqrt(area * ratio));
  const h = Math.min(1, Math.sqrt(area / ratio));
  const y1 = rng.uniform(0, 1 - h);
  const x1 = rng.uniform(0, 1 - w);
  const jitter = rng.next() < o.jitterProbability;
  const b = rng.uniform(1 - o.jitter, 1 + o.jitter);
  const c = rng.uniform(1 - o.jitter, 1 + o.jitter);
  const blur = rng.next() < o.blurProbability;
  return {
    y1,
    y2: y1 + h,
    x1: flip ? x1 + w : x1,
    x2: flip ? x1 : x1 + w,
    brightness: jitter ? b : 1,
    contrast: jitter ? c : 1,
    blur,
  };
}

/**
 * Source coordinates of `size` sample points spread from edge a to edge b of an axis of
 * `extent` pixels (tf.image.cropAndResize's convention: the first and last points land
 * exactly on the box edges). Clamped, so float rounding at the border never extrapolates.
 */
function samplePoints(a: number, b: number, extent: number, size: number, lo: Int32Array, hi: Int32Array, frac: Float64Array): void {
  const last = extent - 1;
  const step = size > 1 ? ((b - a) * last) / (size - 1) : 0;
  for (let i = 0; i < size; i++) {
    let p = size > 1 ? a * last + i * step : 0.5 * (a + b) * last;
    p = Math.min(last, Math.max(0, p));
    const f = Math.floor(p);
    lo[i] = f;
    hi[i] = Math.ceil(p);
    frac[i] = p - f;
  }
}

/** Scratch buffers for one output geometry, reused across the samples of a view. */
class Scratch {
  readonly pixels: Float64Array;
  readonly tmp: Float64Array;
  readonly y0: Int32Array;
  readonly y1: Int32Array;
  readonly yf: Float64Array;
  readonly x0: Int32Array;
  readonly x1: Int32Array;
  readonly xf: Float64Array;

  constructor(size: number, channels: number) {
    this.pixels = new Float64Array(size * size * channels);
    this.tmp = new Float64Array(size * size * channels);
    this.y0 = new Int32Array(size);
    this.y1 = new Int32Array(size);
    this.yf = new Float64Array(size);
    this.x0 = new Int32Array(size);
    this.x1 = new Int32Array(size);
    this.xf = new Float64Array(size);
  }
}

/** Bilinear crop-and-resize of one uint8 image into `s.pixels`, values in [0, 1]. */
function cropResize(pool: ImagePool, index: number, d: SampleDraws, size: number, s: Scratch): void {
  const { height: H, width: W, channels: C } = pool;
  const base = index * H * W * C;
  const src = pool.images;
  samplePoints(d.y1, d.y2, H, size, s.y0, s.y1, s.yf);
  samplePoints(d.x1, d.x2, W, size, s.x0, s.x1, s.xf);
  let o = 0;
  for (let y = 0; y < size; y++) {
    const top = base + s.y0[y] * W * C;
    const bottom = base + s.y1[y] * W * C;
    const fy = s.yf[y];
    for (let x = 0; x < size; x++) {
      const left = s.x0[x] * C;
      const right = s.x1[x] * C;
      const fx = s.xf[x];
      for (let c = 0; c < C; c++) {
        const tl = src[top + left + c];
        const tr = src[top + right + c];
        const bl = src[bottom + left + c];
        const br = src[bottom + right + c];
        const t = tl + (tr - tl) * fx;
        const b = bl + (br - bl) * fx;
        s.pixels[o++] = (t + (b - t) * fy) * INV_255;
      }
    }
  }
}

/** Brightness, then contrast around the image mean (all channels), in place. */
function jitter(p: Float64Array, brightness: number, contrast: number): void {
  if (brightness === 1 && contrast === 1) return;
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += p[i] * brightness;
  const mean = sum / p.length;
  for (let i = 0; i < p.length; i++) p[i] = (p[i] * brightness - mean) * contrast + mean;
}

/** 3x3 Gaussian blur with zero padding ('same'), per channel, in place. */
function blur(p: Float64Array, tmp: Float64Array, size: number, C: number): void {
  const [g0, g1, g2] = BLUR;
  const row = size * C;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < C; c++) {
        const i = y * row + x * C + c;
        tmp[i] = (x > 0 ? g0 * p[i - C] : 0) + g1 * p[i] + (x < size - 1 ? g2 * p[i + C] : 0);
      }
    }
  }
  for (let y = 0; y < size; y++) {
    for (let i = y * row; i < (y + 1) * row; i++) {
      p[i] = (y > 0 ? g0 * tmp[i - row] : 0) + g1 * tmp[i] + (y < size - 1 ? g2 * tmp[i + row] : 0);
    }
  }
}

function checkIndices(pool: ImagePool, indices: ArrayLike<number>): void {
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (!Number.isInteger(k) || k < 0 || k >= pool.count) {
      throw new Error(`augment: index ${k} (batch position ${i}) is outside the pool of ${pool.count} images`);
    }
  }
}

/**
 * One random view of the images at `indices`: `indices.length x size x size x channels`
 * floats, clipped to [0, 1] and then standardized with `norm`; written into `into` when it
 * is large enough (a consumed batch's buffer), else into new memory.
 */
export function augmentView(pool: ImagePool, indices: ArrayLike<number>, o: AugmentOptions, norm: Normalization, seed: number, into?: ArrayBuffer): Float32Array<ArrayBuffer> {
  checkIndices(pool, indices);
  const C = pool.channels;
  if (norm.mean.length !== C || norm.std.length !== C) {
    throw new Error(`augment: normalization has ${norm.mean.length} means and ${norm.std.length} stds for ${C} channels`);
  }
  const size = o.size;
  const per = size * size * C;
  const out = floatsIn(into, indices.length * per);
  const rng = new Random(seed);
  const s = new Scratch(size, C);
  const mean = Float64Array.from(norm.mean);
  const invStd = Float64Array.from(norm.std, (sd) => 1 / sd);
  for (let n = 0; n < indices.length; n++) {
    const d = drawSample(rng, o);
    cropResize(pool, indices[n], d, size, s);
    jitter(s.pixels, d.brightness, d.contrast);
    if (d.blur) blur(s.pixels, s.tmp, size, C);
    const at = n * per;
    for (let c = 0; c < C; c++) {
      const m = mean[c];
      const k = invStd[c];
      for (let i = c; i < per; i += C) {
        const v = s.pixels[i];
        out[at + i] = ((v < 0 ? 0 : v > 1 ? 1 : v) - m) * k;
      }
    }
  }
  return out;
}

/** The draws `augmentView` makes for the first `n` samples of a view with `seed`. */
export function drawView(o: AugmentOptions, seed: number, n: number): SampleDraws[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => drawSample(rng, o));
}

/** The seeds of batch `batchIndex`'s two views in a stage. */
export function viewSeeds(stageSeed: number, batchIndex: number): [number, number] {
  const batchSeed = deriveSeed(stageSeed, 'augment', batchIndex);
  return [deriveSeed(batchSeed, 'view', 1), deriveSeed(batchSeed, 'view', 2)];
}

/** Both views of batch `batchIndex` of a stage; `reuse`: buffers to write them into (see augmentView). */
export function twoViews(pool: ImagePool, indices: ArrayLike<number>, o: AugmentOptions, norm: Normalization, stageSeed: number, batchIndex: number, reuse: readonly ArrayBuffer[] = []): TwoViews {
  const [seed1, seed2] = viewSeeds(stageSeed, batchIndex);
  return { view1: augmentView(pool, indices, o, norm, seed1, reuse[0]), view2: augmentView(pool, indices, o, norm, seed2, reuse[1]) };
}

/**
 * `length` floats at the start of `buffer` when it holds them (every one is written: the
 * old contents do not matter), else in a new buffer.
 */
function floatsIn(buffer: ArrayBuffer | undefined, length: number): Float32Array<ArrayBuffer> {
  return buffer && buffer.byteLength >= length * 4 ? new Float32Array(buffer, 0, length) : new Float32Array(length);
}
