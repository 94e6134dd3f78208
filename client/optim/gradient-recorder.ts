/**
 * An "optimizer" that hands each step's gradients, by parameter name, to a visitor and
 * changes nothing: a way to read the gradients of any method's own loss through its
 * ordinary `step` (EWC's Fisher information is measured this way).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { Sgd } from './sgd.js';

export class GradientRecorder extends Sgd {
  constructor(private readonly visit: (grads: Map<string, tf.Tensor>) => void) {
    super({ momentum: 0, weightDecay: 0 });
  }

  override apply(params: Map<string, tf.Variable>, grads: tf.NamedTensorMap): void {
    const byName = new Map<string, tf.Tensor>();
    for (const [name, w] of params) {
      const g = grads[w.name];
      if (g) byName.set(name, g);
    }
    this.visit(byName);
  }
}
