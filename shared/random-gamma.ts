/**
 * Gamma and Dirichlet samples from the project's seeded PRNG, bit-identical on every
 * machine (only exactly rounded arithmetic, Math.sqrt and ./portable-math.ts), so every
 * client recomputes the same Dirichlet stream.
 */
import { portableExp, portableLog } from './portable-math.js';
import type { Random } from './random.js';

/** Standard normal sample by Marsaglia's polar method (no sine or cosine). */
export function portableNormal(rng: Random): number {
  for (;;) {
    const u = 2 * rng.next() - 1;
    const v = 2 * rng.next() - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return u * Math.sqrt((-2 * portableLog(s)) / s);
  }
}

/**
 * ln of a Gamma(shape, 1) sample. Marsaglia and Tsang (2000), "A simple method for
 * generating gamma variables", for shape >= 1; below 1 their boost
 * Gamma(a) = Gamma(a + 1) * U^(1/a), kept in logs because for small shapes the sample
 * underflows to 0 (shape 0.01 gives values like e^-300).
 */
export function logGammaSample(rng: Random, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new Error(`gamma shape: expected a positive finite number, got ${shape}`);
  if (shape < 1) return logGammaSample(rng, shape + 1) + portableLog(1 - rng.next()) / shape;
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = portableNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next(); // in (0, 1]
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return portableLog(d * v);
    if (portableLog(u) < 0.5 * x2 + d * (1 - v + portableLog(v))) return portableLog(d * v);
  }
}

/** A sample of the symmetric Dirichlet distribution Dir(alpha, ..., alpha) over `k` categories. */
export function dirichletSample(rng: Random, alpha: number, k: number): number[] {
  const logs = Array.from({ length: k }, () => logGammaSample(rng, alpha));
  // Normalize in logs: exp(l - max) keeps the largest share exact even when all underflow.
  const top = Math.max(...logs);
  const shares = logs.map((l) => portableExp(l - top));
  const total = shares.reduce((a, b) => a + b, 0);
  return shares.map((s) => s / total);
}
