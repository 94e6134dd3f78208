/** Test helpers for comparing kernels: a kernel's output on one backend, and the largest difference relative to the largest reference value. */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale + 1e-6);
}

/** `f` applied to `data` (as tensors of `shapes`) on `backend`: its values and shape. */
export async function outputOn(backend: string, shapes: number[][], data: Float32Array[], f: (...xs: tf.Tensor[]) => tf.Tensor):
  Promise<{ v: Float32Array; shape: number[] }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const y = f(...data.map((d, i) => tf.tensor(d, shapes[i])));
    return { v: y.dataSync() as Float32Array, shape: y.shape };
  });
}
