/**
 * Test helper: repeated conv2d gradients (strides 1 and 2, 3x3 and 1x1) on the active
 * backend leave neither tensors nor backend data behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

export function expectConvGradientsDoNotLeak(): void {
  const backend = tf.backend();
  const x = tf.randomNormal([2, 9, 8, 3]) as tf.Tensor4D;
  const w1 = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
  const w2 = tf.randomNormal([1, 1, 3, 4]) as tf.Tensor4D;
  const step = (): void => {
    for (const [w, s] of [[w1, 2], [w1, 1], [w2, 2]] as const) {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, 'same'))([x, w]);
      tf.dispose(g);
    }
  };
  step(); // warm up
  const tensorsBefore = tf.memory().numTensors;
  const dataBefore = backend.numDataIds();
  for (let i = 0; i < 20; i++) step();
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(backend.numDataIds()).toBe(dataBefore);
  tf.dispose([x, w1, w2]);
}
