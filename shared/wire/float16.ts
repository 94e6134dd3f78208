/**
 * IEEE 754 binary16 ("half") conversions of float32 arrays, for states in transit
 * (./wire-encoding.ts). Node 20 has no Float16Array, so the conversion works on the bits:
 * float32 -> half rounds to nearest, ties to even, overflows to infinity and keeps NaN a
 * NaN; half -> float32 is exact (every half is a float32), by a table of all 65536 halves.
 */

/** Largest finite half: 65504. Anything of magnitude 65520 or more rounds to infinity. */
export const FLOAT16_MAX = 65504;

/** The half nearest to float32 bits `f` (ties to even). */
function halfBits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const abs = f & 0x7fffffff;
  // Infinity, or NaN with its payload's top bits (kept quiet, so it stays a NaN).
  if (abs >= 0x7f800000) return sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0);
  // 65520 is the tie between 65504 (odd mantissa) and 65536 (even, infinite): at or above, infinity.
  if (abs >= 0x477ff000) return sign | 0x7c00;
  if (abs >= 0x38800000) {
    // Normal half: rebias the exponent (127 -> 15) and round 23 mantissa bits to 10; a carry
    // out of the mantissa rightly bumps the exponent.
    const v = abs - 0x38000000;
    const q = v >>> 13;
    const r = v & 0x1fff;
    return sign | (q + (r > 0x1000 || (r === 0x1000 && (q & 1) !== 0) ? 1 : 0));
  }
  // Subnormal half (a multiple of 2^-24) or zero: 2^-25 and below round to zero (2^-25 is a tie, zero is even).
  if (abs <= 0x33000000) return sign;
  const m = (abs & 0x7fffff) | 0x800000;
  const shift = 126 - (abs >>> 23);
  const q = m >>> shift;
  const r = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return sign | (q + (r > half || (r === half && (q & 1) !== 0) ? 1 : 0));
}

/** Float32 bits of half `h`, computed (the table is built from this). */
function floatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return sign | 0x7f800000 | (mant << 13);
  if (exp !== 0) return sign | ((exp + 112) << 23) | (mant << 13);
  if (mant === 0) return sign;
  // Subnormal: normalise the mantissa.
  let e = 113;
  let m = mant;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e--;
  }
  return sign | (e << 23) | ((m & 0x3ff) << 13);
}

let table: Uint32Array | null = null;
/** Float32 bits of every half, built on first use (256 KiB). */
function expansionTable(): Uint32Array {
  if (!table) {
    table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = floatBits(h);
  }
  return table;
}

/** Every value of `values` as half bits, rounded to nearest (ties to even). */
export function toFloat16Bits(values: Float32Array): Uint16Array {
  return toFloat16BitsInto(values, new Uint16Array(values.length));
}

/** Whether every value of `values` rounds to a finite half (none of magnitude 65520 or more, none infinite or NaN). */
export function halvesFinitely(values: Float32Array): boolean {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i] & 0x7fffffff) >= 0x477ff000) return false;
  return true;
}

/** `toFloat16Bits`, written into `out` (of the same length); returns `out`. */
export function toFloat16BitsInto(values: Float32Array, out: Uint16Array): Uint16Array {
  if (out.length !== values.length) throw new Error(`float16 halving: ${values.length} floats into ${out.length} halves`);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) {
    const f = bits[i];
    const abs = f & 0x7fffffff;
    // Normal halves (nearly all of a state) inline, as halfBits rounds them: adding 0xfff
    // plus the kept mantissa's last bit carries exactly when the dropped bits are above
    // half, or half with that bit odd (3.5x faster than the call on every value).
    if (abs >= 0x38800000 && abs < 0x477ff000) out[i] = ((f >>> 16) & 0x8000) | ((abs - 0x38000000 + 0xfff + ((abs >>> 13) & 1)) >>> 13);
    else out[i] = halfBits(f);
  }
  return out;
}

/** Every half of `halves` as a float32 (exact). */
export function fromFloat16Bits(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  expandHalvesInto(halves, out);
  return out;
}

/**
 * Every half of `halves` as a float32 (exact), written into `out` (of the same length);
 * returns whether every half was finite (no infinity, no NaN): the check rides on the
 * conversion's own branch for the rare halves, where a separate pass over the halves cost
 * half as long as the conversion.
 */
export function expandHalvesInto(halves: Uint16Array, out: Float32Array): boolean {
  if (out.length !== halves.length) throw new Error(`float16 expansion: ${halves.length} halves into ${out.length} floats`);
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  let t: Uint32Array | null = null;
  let finite = true;
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i];
    const exp = h & 0x7c00;
    // Normal halves (nearly all of a state) by shift and rebias; zeros, subnormals, infinities and NaN by the table.
    if (exp !== 0 && exp !== 0x7c00) bits[i] = ((h & 0x8000) << 16) | (((h & 0x7fff) << 13) + 0x38000000);
    else {
      if (exp !== 0) finite = false;
      bits[i] = (t ??= expansionTable())[h];
    }
  }
  return finite;
}
