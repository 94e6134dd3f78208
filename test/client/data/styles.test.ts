import { describe, expect, it } from 'vitest';
import { applyStyle, blur, edges, invert, type ImageShape } from '../../../client/data/styles.js';
import { DOMAIN_STYLES } from '../../../shared/scenario.js';
import { Random } from '../../../shared/random.js';

const shape: ImageShape = { count: 3, height: 9, width: 7, channels: 2 };
const rng = new Random(1);
const pixels = Uint8Array.from({ length: 3 * 9 * 7 * 2 }, () => rng.int(0, 256));

/** A single-channel image with a bright square in the middle. */
function square(): { pixels: Uint8Array; shape: ImageShape } {
  const s = { count: 1, height: 10, width: 10, channels: 1 };
  const p = new Uint8Array(100);
  for (let y = 3; y < 7; y++) for (let x = 3; x < 7; x++) p[y * 10 + x] = 200;
  return { pixels: p, shape: s };
}

describe('image styles', () => {
  it('original is an unchanged copy', () => {
    const out = applyStyle('original', pixels, shape);
    expect(out).toEqual(pixels);
    expect(out).not.toBe(pixels);
  });

  it('inverted twice is the original', () => {
    expect(invert(invert(pixels))).toEqual(pixels);
    expect(applyStyle('inverted', pixels, shape)[0]).toBe(255 - pixels[0]);
  });

  it('edges are zero on flat images and peak at 255 on the border of a shape', () => {
    const flat = new Uint8Array(2 * 5 * 5).fill(77);
    expect(edges(flat, { count: 2, height: 5, width: 5, channels: 1 }).every((v) => v === 0)).toBe(true);
    const { pixels: sq, shape: s } = square();
    const e = edges(sq, s);
    expect(Math.max(...e)).toBe(255);
    expect(e[5 * 10 + 5]).toBe(0); // inside the square
    expect(e[0]).toBe(0); // far corner
    expect(e[3 * 10 + 2]).toBeGreaterThan(0); // just left of the square
  });

  it('blur keeps flat images, preserves mean brightness roughly and smooths a step', () => {
    const flat = new Uint8Array(6 * 6).fill(123);
    expect(blur(flat, { count: 1, height: 6, width: 6, channels: 1 }).every((v) => v === 123)).toBe(true);
    const { pixels: sq, shape: s } = square();
    const b = blur(sq, s);
    const sum = (a: Uint8Array) => a.reduce((x, y) => x + y, 0);
    expect(Math.abs(sum(b) - sum(sq)) / sum(sq)).toBeLessThan(0.05);
    expect(b[5 * 10 + 5]).toBeLessThan(200);
    expect(b[5 * 10 + 1]).toBeGreaterThan(0);
  });

  it('treats images and channels separately', () => {
    // Image 0 channel 0 bright, everything else black: only that plane changes.
    const p = new Uint8Array(2 * 4 * 4 * 2);
    for (let i = 0; i < 16; i++) p[i * 2] = i % 4 === 0 ? 250 : 0;
    for (const style of ['edges', 'blurred'] as const) {
      const out = applyStyle(style, p, { count: 2, height: 4, width: 4, channels: 2 });
      for (let i = 0; i < out.length; i++) if (i >= 32 || i % 2 === 1) expect(out[i]).toBe(0);
    }
  });

  it('is deterministic and pure', () => {
    const copy = pixels.slice();
    for (const style of DOMAIN_STYLES) {
      expect(applyStyle(style, pixels, shape)).toEqual(applyStyle(style, pixels, shape));
      expect(pixels).toEqual(copy);
    }
  });

  it('rejects a shape that does not match the bytes', () => {
    expect(() => applyStyle('edges', pixels, { ...shape, count: 4 })).toThrow(/needs 504/);
  });
});
