/**
 * Seeded randomness that is bit-identical on every machine: every client recomputes the
 * same splits from the scenario seed, so nothing here may depend on Math.random or on
 * floating-point functions whose last bits differ between engines (see `normal`).
 */

const TWO_32 = 4294967296;

/** splitmix32-style finalizer: spreads every input bit over the whole word. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A seed derived from `seed` and a path of labels, e.g. `deriveSeed(seed, 'stream', 'instance')`.
 * Different labels give unrelated streams; numbers and strings never collide (`1` vs `'1'`).
 */
export function deriveSeed(seed: number, ...labels: (string | number)[]): number {
  if (!Number.isFinite(seed)) throw new Error(`seed: expected a finite number, got ${seed}`);
  const whole = Math.floor(Math.abs(seed));
  let h = mix32((whole % TWO_32) ^ 0x9e3779b9);
  h = mix32(h ^ Math.floor(whole / TWO_32) ^ (seed < 0 ? 0x5bd1e995 : 0));
  for (const label of labels) {
    const text = typeof label === 'number' ? `n${label}` : `s${label}`;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    h = mix32(h ^ text.length);
  }
  return h >>> 0;
}

/** A small seeded PRNG (mulberry32): 32-bit state, good enough for shuffles and noise. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = deriveSeed(seed);
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1), a multiple of 2^-32 (exact, hence reproducible). */
  next(): number {
    return this.nextUint32() / TWO_32;
  }

  /** Uniform float in [min, max). */
  uniform(min = 0, max = 1): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, maxExclusive). */
  int(min: number, maxExclusive: number): number {
    if (!(maxExclusive > min)) throw new Error(`Random.int: empty range [${min}, ${maxExclusive})`);
    return min + Math.floor(this.next() * (maxExclusive - min));
  }

  /**
   * Standard normal sample (Box-Muller). Math.log/cos may differ in the last bit between
   * JS engines, so use this for model-side noise, never for data every client must share.
   */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place; returns `items`. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

/** 0..n-1 in an order shuffled by `seed`. */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  const indices = new Uint32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  return new Random(seed).shuffle(indices);
}

/** A seeded, uniformly random choice of `k` distinct indices of 0..n-1, ascending (all of them when k >= n). */
export function sampledIndices(n: number, k: number, seed: number): Uint32Array {
  if (k >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  return shuffledIndices(n, seed).slice(0, k).sort();
}
