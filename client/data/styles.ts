/**
 * Deterministic image styles for the domain stream. Each is a pure function of the bytes
 * (integer arithmetic plus correctly rounded sqrt), so every client renders the same pixels.
 */
import type { DomainStyle } from '../../shared/stream/index.js';

/** Shape of a block of images stored row-major HWC, `count` images back to back. */
export interface ImageShape {
  count: number;
  height: number;
  width: number;
  channels: number;
}

function checkShape(pixels: Uint8Array, shape: ImageShape): void {
  const expected = shape.count * shape.height * shape.width * shape.channels;
  if (pixels.length !== expected) {
    throw new Error(`image style: ${pixels.length} bytes but shape ${shape.count}x${shape.height}x${shape.width}x${shape.channels} needs ${expected}`);
  }
}

/** 255 - x for every byte. */
export function invert(pixels: Uint8Array): Uint8Array {
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = 255 - pixels[i];
  return out;
}

/** Calls `fn(base)` for the offset of each (image, channel) plane; pixel (y, x) is at base + (y*W + x)*C. */
function forEachPlane(shape: ImageShape, fn: (base: number) => void): void {
  const size = shape.height * shape.width * shape.channels;
  for (let n = 0; n < shape.count; n++) for (let c = 0; c < shape.channels; c++) fn(n * size + c);
}

/** Sobel gradient magnitude, rescaled per image plane so its largest value is 255 (borders clamp). */
export function edges(pixels: Uint8Array, shape: ImageShape): Uint8Array {
  checkShape(pixels, shape);
  const { height: H, width: W, channels: C } = shape;
  const out = new Uint8Array(pixels.length);
  const magnitude = new Float64Array(H * W);
  const at = (base: number, y: number, x: number) =>
    pixels[base + (Math.min(H - 1, Math.max(0, y)) * W + Math.min(W - 1, Math.max(0, x))) * C];
  forEachPlane(shape, (base) => {
    let max = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const gx =
          at(base, y - 1, x + 1) + 2 * at(base, y, x + 1) + at(base, y + 1, x + 1) -
          at(base, y - 1, x - 1) - 2 * at(base, y, x - 1) - at(base, y + 1, x - 1);
        const gy =
          at(base, y + 1, x - 1) + 2 * at(base, y + 1, x) + at(base, y + 1, x + 1) -
          at(base, y - 1, x - 1) - 2 * at(base, y - 1, x) - at(base, y - 1, x + 1);
        const m = Math.sqrt(gx * gx + gy * gy);
        magnitude[y * W + x] = m;
        if (m > max) max = m;
      }
    }
    // A flat image has no edges: leave it black rather than dividing by zero.
    const scale = max > 0 ? 255 / max : 0;
    for (let p = 0; p < H * W; p++) out[base + p * C] = Math.round(magnitude[p] * scale);
  });
  return out;
}

/** 5x5 binomial (Gaussian-like) blur, separable [1 4 6 4 1]/16, borders clamped. */
export function blur(pixels: Uint8Array, shape: ImageShape): Uint8Array {
  checkShape(pixels, shape);
  const { height: H, width: W, channels: C } = shape;
  const kernel = [1, 4, 6, 4, 1];
  const out = new Uint8Array(pixels.length);
  // Integer sums (scaled by 16 per pass) keep the result exact and identical everywhere.
  const rows = new Int32Array(H * W);
  forEachPlane(shape, (base) => {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let sum = 0;
        for (let k = -2; k <= 2; k++) sum += kernel[k + 2] * pixels[base + (y * W + Math.min(W - 1, Math.max(0, x + k))) * C];
        rows[y * W + x] = sum;
      }
    }
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let sum = 0;
        for (let k = -2; k <= 2; k++) sum += kernel[k + 2] * rows[Math.min(H - 1, Math.max(0, y + k)) * W + x];
        out[base + (y * W + x) * C] = (sum + 128) >> 8;
      }
    }
  });
  return out;
}

/** `pixels` rendered in `style`; always a new array. */
export function applyStyle(style: DomainStyle, pixels: Uint8Array, shape: ImageShape): Uint8Array {
  checkShape(pixels, shape);
  switch (style) {
    case 'original':
      return pixels.slice();
    case 'inverted':
      return invert(pixels);
    case 'edges':
      return edges(pixels, shape);
    case 'blurred':
      return blur(pixels, shape);
    default:
      throw new Error(`image style: unknown style "${String(style)}"`);
  }
}

/** An image set shown in `style` (the set itself when the style is `original`). */
export function styledSet<T extends ImageShape & { images: Uint8Array }>(set: T, style: DomainStyle): T {
  return style === 'original' ? set : { ...set, images: applyStyle(style, set.images, set) };
}
