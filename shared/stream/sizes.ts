/**
 * `stream.sizes`: how many training samples each chunk of a sample stream (instance,
 * dirichlet) gets, since real data holders differ in size. Either explicit relative
 * weights, one per chunk, or a power law where chunk k (0-based) weighs (k+1)^-exponent,
 * so the first chunk is the largest.
 */
import { portableExp, portableLog } from '../portable-math.js';
import type { StreamSpec } from '../scenario.js';
import { apportion } from './apportion.js';
import { evenBounds } from './plan.js';

/** Relative weight of each chunk (uniform without `stream.sizes`). */
export function chunkWeights(spec: StreamSpec): number[] {
  const sizes = spec.sizes;
  if (!sizes) return new Array<number>(spec.chunks).fill(1);
  if (Array.isArray(sizes)) {
    if (sizes.length !== spec.chunks) throw new Error(`stream.sizes: needs one weight per chunk (${spec.chunks}), got ${sizes.length}`);
    sizes.forEach((w, k) => {
      if (!(w > 0) || !Number.isFinite(w)) throw new Error(`stream.sizes[${k}]: expected a positive finite weight, got ${w}`);
    });
    return [...sizes];
  }
  const { exponent } = sizes;
  if (!(exponent >= 0) || !Number.isFinite(exponent)) throw new Error(`stream.sizes.exponent: expected a finite number >= 0, got ${exponent}`);
  // Portable exp/log rather than Math.pow: every client must cut the same sizes.
  return Array.from({ length: spec.chunks }, (_, k) => portableExp(-exponent * portableLog(k + 1)));
}

/**
 * Samples per chunk for `total` samples: every chunk gets one, the rest is shared in
 * proportion to the weights (largest remainders). Without `stream.sizes`, near-equal
 * sizes exactly as the even split gives them.
 */
export function chunkSizes(spec: StreamSpec, total: number): number[] {
  if (spec.chunks > total) throw new Error(`stream.chunks: ${spec.chunks} chunks but only ${total} samples`);
  if (!spec.sizes) {
    const bounds = evenBounds(total, spec.chunks);
    return bounds.slice(1).map((b, k) => b - bounds[k]);
  }
  return apportion(chunkWeights(spec), total - spec.chunks).map((n) => n + 1);
}
