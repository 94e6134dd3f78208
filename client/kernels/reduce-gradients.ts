/**
 * The gradients of `Sum` and `Mean` with their tensor of ones filled by the backend.
 * tfjs's own multiply the incoming gradient by `ones(x.shape)`, which it fills element
 * by element in a fresh JavaScript array and then copies into the backend: for MoCo's
 * logits (batch x queue) half a megabyte each step. The same product, with the same
 * bits, on ones from the backend's `Fill` kernel. (Broadcasting the gradient with
 * `broadcastTo` instead runs wasm's `Tile`, an element-by-element loop: slower still.)
 */
import * as tf from '@tensorflow/tfjs-core';

/** `dy` (the reduced shape) broadcast back over the reduced axes of `x`, as tfjs's: times ones of `x`'s shape. */
function spread(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const expanded = x.shape.slice();
  for (const a of tf.util.parseAxisParam(axis, x.shape)) expanded[a] = 1;
  return tf.mul(tf.reshape(dy, expanded), tf.fill(x.shape, 1, 'float32'));
}

/** Registers both over tfjs's (once the gradient registry holds tfjs's, see ../backend.ts). */
export function registerReduceGradients(): void {
  tf.registerGradient({
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({ x: () => spread(dy as tf.Tensor, x, (attrs as { axis: number | number[] }).axis) }),
  });
  tf.registerGradient({
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const axis = (attrs as { axis: number | number[] }).axis;
      const reduced = tf.util.parseAxisParam(axis, x.shape).reduce((n, a) => n * x.shape[a], 1);
      // As tfjs's: the spread gradient divided by the count (a float32 scalar).
      return { x: () => tf.div(spread(dy as tf.Tensor, x, axis), reduced) };
    },
  });
}
