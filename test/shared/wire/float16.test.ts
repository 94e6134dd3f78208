/**
 * The float16 converter against an oracle written independently of it: every half's value
 * from the IEEE formula, and rounding as "the nearest half, ties to the even one" found by
 * search over all finite halves (in float64, where every half and every midpoint is exact),
 * and against the well-kept library @petamoriken/float16 on random bit patterns.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { f16round, setFloat16 } from '@petamoriken/float16';
import { expandHalvesInto, FLOAT16_MAX, fromFloat16Bits, halvesFinitely, toFloat16Bits } from '../../../shared/wire/float16.js';

/** The value of half bits `h` by the IEEE 754 formula. */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (exp === 0 ? mant * 2 ** -24 : 2 ** (exp - 15) * (1 + mant / 1024));
}

/** Non-negative finite halves in order (bits 0..0x7bff are increasing), and 2^16 standing for infinity. */
const POSITIVE = [...Array(0x7c00).keys()].map(halfValue).concat(2 ** 16);

/** The oracle: nearest half to `x`, ties to the even bits; beyond the largest, infinity. */
function nearestHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  let lo = 0;
  let hi = POSITIVE.length - 1;
  if (a >= POSITIVE[hi]) return sign | 0x7c00;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (POSITIVE[mid] <= a) lo = mid;
    else hi = mid;
  }
  const dLo = a - POSITIVE[lo];
  const dHi = POSITIVE[hi] - a;
  const pick = dLo < dHi ? lo : dHi < dLo ? hi : lo % 2 === 0 ? lo : hi;
  return sign | pick; // pick 0x7c00 is infinity
}

const f32 = (values: number[]) => Float32Array.from(values);
const halvesOf = (values: number[]) => [...toFloat16Bits(f32(values))];

describe('float16 converter', () => {
  it('expands every one of the 65536 halves to its exact value, and rounds each back to itself (NaNs stay NaN)', () => {
    const all = Uint16Array.from([...Array(65536).keys()]);
    const expanded = fromFloat16Bits(all);
    const back = toFloat16Bits(expanded);
    for (let h = 0; h < 65536; h++) {
      const v = halfValue(h);
      if (Number.isNaN(v)) {
        expect(Number.isNaN(expanded[h])).toBe(true);
        expect(back[h] & 0x7c00).toBe(0x7c00);
        expect(back[h] & 0x3ff).not.toBe(0);
      } else {
        if (expanded[h] !== v || !Object.is(expanded[h], v)) throw new Error(`half ${h.toString(16)} expanded to ${expanded[h]}, expected ${v}`);
        if (back[h] !== h) throw new Error(`half ${h.toString(16)} came back as ${back[h].toString(16)}`);
      }
    }
  });

  it('rounds every midpoint between neighbouring halves to the even one, and a float32 ulp either side to the nearer', () => {
    const mids: number[] = [];
    const expected: number[] = [];
    for (let h = 0; h < 0x7c00; h++) {
      const mid = (POSITIVE[h] + POSITIVE[h + 1]) / 2; // exact in float32: 12 significant bits
      const below = Math.fround(mid) === mid ? mid - ulpBelow(mid) : NaN;
      mids.push(mid, below, mid + ulpAbove(mid), -mid);
      expected.push(h % 2 === 0 ? h : h + 1, h, h + 1, 0x8000 | (h % 2 === 0 ? h : h + 1));
    }
    const got = halvesOf(mids);
    for (let i = 0; i < mids.length; i++) {
      if (got[i] !== expected[i]) throw new Error(`${mids[i]} rounded to ${got[i].toString(16)}, expected ${expected[i].toString(16)}`);
    }
  });

  it('agrees with the oracle on random float32 bit patterns', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 200 }), (patterns) => {
        const values = new Float32Array(Uint32Array.from(patterns).buffer);
        const got = toFloat16Bits(values);
        values.forEach((x, i) => {
          const want = nearestHalf(x);
          if (Number.isNaN(x)) expect(got[i] & 0x7c00).toBe(0x7c00);
          else expect(got[i]).toBe(want);
        });
      }),
      { seed: 0x16, numRuns: 2000 },
    );
  });

  it('overflows to infinity from 65520 up, keeps 65504, and flushes below 2^-25 to a signed zero', () => {
    expect(halvesOf([FLOAT16_MAX, 65519.99, 65520, 1e10, -Infinity, Infinity])).toEqual([0x7bff, 0x7bff, 0x7c00, 0x7c00, 0xfc00, 0x7c00]);
    expect(halvesOf([2 ** -24, 2 ** -25, 2 ** -25 * 1.0000001, 3 * 2 ** -25, 1e-45, -1e-30, 2 ** -14])).toEqual([1, 0, 1, 2, 0, 0x8000, 0x400]);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(f32([NaN])))[0])).toBe(true);
    // The expansion says whether every half was finite; the halving, whether every value halves finitely.
    const finite = (values: number[]) => expandHalvesInto(toFloat16Bits(f32(values)), new Float32Array(values.length));
    expect(finite([1, -2, FLOAT16_MAX, 0, -0, 2 ** -24])).toBe(true);
    for (const bad of [[1, 70000], [NaN, 1], [-Infinity]]) expect(finite(bad)).toBe(false);
    expect(halvesFinitely(f32([1, -2, FLOAT16_MAX, 65519.99, 2 ** -30]))).toBe(true);
    for (const bad of [[1, 65520], [NaN], [-Infinity, 0]]) expect(halvesFinitely(f32(bad))).toBe(false);
  });

  it('bounds the relative error of normal values by 2^-11', () => {
    fc.assert(
      fc.property(fc.float({ min: Math.fround(2 ** -14), max: FLOAT16_MAX, noNaN: true }), (x) => {
        const back = fromFloat16Bits(toFloat16Bits(f32([x])))[0];
        expect(Math.abs(back - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11);
      }),
      { seed: 0x17, numRuns: 2000 },
    );
  });
});

/** The gap from float32 `x` (positive) to the next float32 below / above it. */
function ulpBelow(x: number): number {
  const b = new Uint32Array(Float32Array.of(x).buffer);
  b[0]--;
  return x - new Float32Array(b.buffer)[0];
}
function ulpAbove(x: number): number {
  const b = new Uint32Array(Float32Array.of(x).buffer);
  b[0]++;
  return new Float32Array(b.buffer)[0] - x;
}

describe('float16 against @petamoriken/float16', () => {
  it('rounds every float32 to the half the library rounds it to (random bit patterns, NaN aside)', () => {
    const view = new DataView(new ArrayBuffer(2));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 256 }), (patterns) => {
        const values = new Float32Array(new Uint32Array(patterns).buffer);
        const halves = toFloat16Bits(values);
        values.forEach((v, i) => {
          if (Number.isNaN(v)) return;
          setFloat16(view, 0, v);
          expect(halves[i]).toBe(view.getUint16(0));
          expect(fromFloat16Bits(halves.subarray(i, i + 1))[0]).toBe(f16round(v));
        });
      }),
      { seed: 16, numRuns: 200 },
    );
  });
});
