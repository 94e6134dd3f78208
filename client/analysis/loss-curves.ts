/**
 * A 1-D slice of a method's loss landscape (Li et al. 2018, "Visualizing the Loss
 * Landscape of Neural Nets", https://arxiv.org/abs/1712.09913): along a random
 * filter-normalized direction from the trained weights. The line between two models
 * (Goodfellow et al. 2015, https://arxiv.org/abs/1412.6544) is in state-interpolation.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SslMethod, TrainBatch } from '../ssl/method.js';
import { filterNormalizedDirection } from './filter-direction.js';
import { directionSeed } from './sharpness.js';
import { along, lossAt, requireFinite } from './weight-probe.js';

export interface CurvePoint {
  alpha: number;
  /** Mean loss over the batches at this point. */
  loss: number;
}

export interface DirectionCurveOptions {
  /** Positions along the direction, in units of each filter's own norm; 0 is the method's weights. */
  alphas: readonly number[];
  /** Seeds the direction (draw 0 of `perturbationSharpness` with this seed) and the loss's random parts. */
  seed: number;
}

/**
 * The loss at θ + α·d for each α, d one filter-normalized random direction. At α = 0
 * it is the method's loss, exactly `perturbationSharpness`'s base loss with the same
 * seed. Cost: alphas.length · batches.length calls of `evaluateLoss`.
 */
export function directionCurve(method: SslMethod, batches: readonly TrainBatch[], o: DirectionCurveOptions): CurvePoint[] {
  requireFinite('alphas', o.alphas);
  const direction = filterNormalizedDirection(method.online.trainable, directionSeed(o.seed, 0));
  try {
    return o.alphas.map((alpha) => ({ alpha, loss: lossAt(method, batches, o.seed, along(direction, alpha)) }));
  } finally {
    tf.dispose([...direction.values()]);
  }
}
