/**
 * Sharpness of a minimum: how much a method's own loss rises when its weights are
 * pushed a given distance in random filter-normalized directions (Li et al. 2018,
 * "Visualizing the Loss Landscape of Neural Nets", https://arxiv.org/abs/1712.09913;
 * the random-perturbation measure of flatness as in Keskar et al. 2017,
 * https://arxiv.org/abs/1609.04836, and Jiang et al. 2020,
 * https://arxiv.org/abs/1912.02178). A flat minimum barely rises; the forgetting
 * question is whether later stages leave a model in a sharper or flatter one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed } from '../../shared/random.js';
import type { SslMethod, TrainBatch } from '../ssl/method.js';
import { filterNormalizedDirection } from './filter-direction.js';
import { along, lossAt, meanLoss, requireFinite } from './weight-probe.js';

export interface PerturbationOptions {
  /** Distances along each direction, in units of each filter's own norm (0 is allowed). */
  radii: readonly number[];
  /** Random directions per radius; each draw's direction is used at every radius. */
  draws: number;
  /** Seeds the directions and the loss's random parts: same seed, same numbers. */
  seed: number;
}

/** The rise of the loss over its unperturbed value at one radius, over the draws. */
export interface RiseAtRadius {
  radius: number;
  mean: number;
  /** Sample standard deviation over the draws (0 for a single draw). */
  std: number;
  min: number;
  max: number;
  /** One rise per draw, in draw order. */
  rises: number[];
}

export interface PerturbationSharpness {
  /** The mean loss over the batches at the method's own weights. */
  baseLoss: number;
  /** One entry per radius, in the order given. */
  radii: RiseAtRadius[];
}

/**
 * The seed of draw `draw`'s direction. `directionCurve` follows draw 0, so its curve
 * passes through draw 0's perturbed losses.
 */
export function directionSeed(seed: number, draw: number): number {
  return deriveSeed(seed, 'sharpness-direction', draw);
}

/**
 * For each draw d, a fresh filter-normalized direction d_d; for each radius r, the mean
 * loss over `batches` (the method's `evaluateLoss`, in its training-mode forward) at
 * θ + r·d_d minus the loss at θ. Every point is evaluated with the same seed, so at
 * radius 0 the rise is exactly 0. Only the online network's trainable weights move: a
 * momentum encoder, target network or queue stays as it is, the loss's fixed reference.
 * Non-finite losses far from the minimum come out as non-finite rises. The method's
 * weights and state are as before on return.
 *
 * Cost: (1 + draws·radii) · batches.length calls of `evaluateLoss`.
 */
export function perturbationSharpness(method: SslMethod, batches: readonly TrainBatch[], o: PerturbationOptions): PerturbationSharpness {
  if (!Number.isInteger(o.draws) || o.draws < 1) throw new Error(`sharpness: draws must be an integer >= 1, got ${o.draws}`);
  requireFinite('radii', o.radii);
  const baseLoss = meanLoss(method, batches, o.seed);
  const rises = o.radii.map(() => [] as number[]);
  for (let draw = 0; draw < o.draws; draw++) {
    const direction = filterNormalizedDirection(method.online.trainable, directionSeed(o.seed, draw));
    try {
      o.radii.forEach((radius, i) => rises[i].push(lossAt(method, batches, o.seed, along(direction, radius)) - baseLoss));
    } finally {
      tf.dispose([...direction.values()]);
    }
  }
  return { baseLoss, radii: o.radii.map((radius, i) => ({ radius, ...spread(rises[i]), rises: rises[i] })) };
}

function spread(values: number[]): { mean: number; std: number; min: number; max: number } {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = n > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}
