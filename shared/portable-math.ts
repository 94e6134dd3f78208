/**
 * Natural logarithm and exponential built from +, -, *, / only. IEEE 754 rounds those
 * exactly, so every engine gets the same bits; Math.log and Math.exp may differ in the last
 * bit between engines, and a split that every client recomputes on its own (the Dirichlet
 * stream) must not. Accurate to a few units in the last place, which is all a sampler needs.
 */

const LN2 = 0.6931471805599453;
// ln 2 split as in fdlibm: k * LN2_HI is exact for the k that occur, so r keeps its bits.
const LN2_HI = 6.9314718036912382e-1;
const LN2_LO = 1.9082149292705877e-10;
const SQRT2 = 1.4142135623730951;
const view = new DataView(new ArrayBuffer(8));

/** 2^k for an integer k in -1022..1023, built from its bits. */
function twoTo(k: number): number {
  view.setUint32(0, (k + 1023) << 20);
  view.setUint32(4, 0);
  return view.getFloat64(0);
}

/** ln(x): NaN below 0, -Infinity at 0, Infinity at Infinity. */
export function portableLog(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (x === Infinity) return Infinity;
  let e = 0;
  // Subnormals carry no implicit leading bit: lift them into the normal range first.
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // 2^54
    e = -54;
  }
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  e += ((hi >>> 20) & 0x7ff) - 1023;
  view.setUint32(0, (hi & 0x800fffff) | (1023 << 20));
  let m = view.getFloat64(0); // in [1, 2)
  if (m > SQRT2) {
    m /= 2;
    e++;
  }
  // ln(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172: the odd series converges fast.
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let term = s;
  let sum = s;
  for (let k = 3; k <= 41; k += 2) {
    term *= s2;
    sum += term / k;
  }
  return e * LN2 + 2 * sum;
}

/** e^x: 0 below about -745, Infinity above about 709.8. */
export function portableExp(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > 709.782712893384) return Infinity;
  if (x < -745.1332191019412) return 0;
  const k = Math.round(x / LN2);
  const r = x - k * LN2_HI - k * LN2_LO; // |r| <= ln(2)/2 (plus rounding)
  // Taylor series of e^r, Horner form; 22 terms leave an error far below the last bit.
  let sum = 1;
  for (let n = 22; n >= 1; n--) sum = 1 + (sum * r) / n;
  if (k > 1023) return sum * twoTo(1023) * twoTo(k - 1023);
  if (k < -1022) return sum * twoTo(k + 600) * twoTo(-600);
  return sum * twoTo(k);
}
