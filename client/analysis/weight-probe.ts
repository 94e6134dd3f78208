/**
 * A method's loss at weights other than its own: the one primitive every loss-landscape
 * measurement (perturbations, 1-D curves, interpolations; Li et al. 2018,
 * https://arxiv.org/abs/1712.09913) is built from. The weights are put back bit for bit
 * after every point, so a measurement never changes the model it measures.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../shared/random.js';
import type { SslMethod, TrainBatch } from '../ssl/method.js';

/**
 * The mean of the method's `evaluateLoss` over `batches` at its current weights. Each
 * call starts a fresh Random(seed), so the loss's random parts (MoCo's and SimCLR's
 * batch shuffles) are the same at every point that is evaluated with the same seed.
 */
export function meanLoss(method: SslMethod, batches: readonly TrainBatch[], seed: number): number {
  if (batches.length === 0) throw new Error('loss landscape: no batches to evaluate the loss on');
  const rng = new Random(seed);
  let sum = 0;
  for (const batch of batches) sum += method.evaluateLoss(batch, rng);
  return sum / batches.length;
}

/** A weight of the probed point from the method's own weight of that name. */
export type WeightAt = (name: string, own: tf.Tensor) => tf.Tensor;

/**
 * `meanLoss` with every trainable weight of `method.online` replaced by `weightAt(name,
 * own)` (built inside a tidy; buffers stay), then the method's own weights restored
 * exactly, also when the evaluation throws.
 */
export function lossAt(method: SslMethod, batches: readonly TrainBatch[], seed: number, weightAt: WeightAt): number {
  const trainable = method.online.trainable;
  // Clones share the variables' data: assigning the probe's values leaves it untouched.
  const own = new Map([...trainable].map(([name, v]) => [name, tf.clone(v)] as const));
  try {
    tf.tidy(() => {
      for (const [name, v] of trainable) v.assign(weightAt(name, own.get(name) as tf.Tensor));
    });
    return meanLoss(method, batches, seed);
  } finally {
    for (const [name, v] of trainable) v.assign(own.get(name) as tf.Tensor);
    tf.dispose([...own.values()]);
  }
}

/** The weights θ + scale·d, d a direction with an entry for every trainable weight. */
export function along(direction: ReadonlyMap<string, tf.Tensor>, scale: number): WeightAt {
  return (name, own) => {
    const d = direction.get(name);
    if (!d) throw new Error(`loss landscape: the direction has no weight "${name}"`);
    return tf.add(own, tf.mul(d, scale));
  };
}

/** Refuses a list of coordinates that is empty or holds a non-finite number. */
export function requireFinite(what: string, values: readonly number[]): void {
  if (values.length === 0) throw new Error(`loss landscape: ${what} is empty`);
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new Error(`loss landscape: ${what} holds a non-finite value (${bad})`);
}
