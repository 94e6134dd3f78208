/**
 * 1-D slices of a method's loss landscape (Li et al. 2018, "Visualizing the Loss
 * Landscape of Neural Nets", https://arxiv.org/abs/1712.09913): along a random
 * filter-normalized direction from the trained weights, and along the straight line
 * between two models (Goodfellow et al. 2015, https://arxiv.org/abs/1412.6544), e.g.
 * stage k and stage k+1 of one arm, or the relay and the joint model. A barrier on the
 * line says the two sit in different basins.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Params } from '../models/params.js';
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

export interface InterpolationOptions {
  /** Positions on the line: 0 is model A, 1 is model B; values outside [0, 1] extrapolate. */
  alphas: readonly number[];
  /** Seeds the loss's random parts (MoCo's and SimCLR's shuffles), the same at every point. */
  seed: number;
}

/**
 * The loss of method A at (1-α)·θ_A + α·θ_B over the trainable weights, which must
 * have the same names and shapes in A and B. Everything else is A's: at α = 1 this is
 * B's weights evaluated with A's momentum encoder, queue or target network, so it is
 * B's own loss only when those agree (methods without such state, or copies of it).
 * Batch-norm running statistics are not interpolated, as the training-mode forward
 * the loss uses reads batch statistics only. The ends are exact: α = 0 gives A's
 * weights and α = 1 B's, bit for bit. Cost: alphas.length · batches.length calls of
 * `evaluateLoss`.
 */
export function interpolationCurve(methodA: SslMethod, paramsB: Params, batches: readonly TrainBatch[], o: InterpolationOptions): CurvePoint[] {
  requireFinite('alphas', o.alphas);
  requireSameTrainables(methodA.online, paramsB);
  return o.alphas.map((alpha) => ({
    alpha,
    loss: lossAt(methodA, batches, o.seed, (name, own) => tf.add(tf.mul(own, 1 - alpha), tf.mul(paramsB.trainable.get(name) as tf.Tensor, alpha))),
  }));
}

function requireSameTrainables(a: Params, b: Params): void {
  const onlyA = [...a.trainable.keys()].filter((n) => !b.trainable.has(n));
  const onlyB = [...b.trainable.keys()].filter((n) => !a.trainable.has(n));
  if (onlyA.length > 0 || onlyB.length > 0) {
    const list = (names: string[]) => (names.length > 0 ? names.slice(0, 5).join(', ') + (names.length > 5 ? ', ...' : '') : 'none');
    throw new Error(`interpolation: the models' trainable weights differ (only in A: ${list(onlyA)}; only in B: ${list(onlyB)})`);
  }
  for (const [name, w] of a.trainable) {
    const shapeB = (b.trainable.get(name) as tf.Variable).shape;
    if (shapeB.length !== w.shape.length || shapeB.some((d, i) => d !== w.shape[i])) {
      throw new Error(`interpolation: weight "${name}" has shape [${w.shape}] in A but [${shapeB}] in B`);
    }
  }
}
