/**
 * Timing single tfjs kernels, for the kernel benchmarks (bench/conv-grads.ts,
 * bench/native-conv.ts): the median of repeated synchronous calls, and kernel attributes.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Kernel attrs are loosely typed in tfjs; plain objects need a cast. */
export const attrsOf = (a: object): tf.NamedAttrMap => a as unknown as tf.NamedAttrMap;

/**
 * Median seconds per call of `fn`: one warm-up, then at least 5 calls and `minMs` in all.
 * The wasm kernels are synchronous, so the work is done when `fn` returns.
 */
export function medianSeconds(fn: () => void, minMs: number): number {
  fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 5 || performance.now() - start < minMs) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
