/**
 * Momentum (exponential moving average) copies of an online network: MoCo's key
 * encoder, BYOL's target network.
 */
import * as tf from '@tensorflow/tfjs-core';
import { movingAverage } from '../kernels/optim-ops.js';
import type { Params } from '../models/params.js';

/**
 * A non-trainable copy of the parameters of `online` whose names pass `keep` (for
 * example everything but a predictor that the target network does not have).
 */
export function momentumCopy(online: Params, keep: (name: string) => boolean = () => true): Params {
  const copy = (m: Map<string, tf.Variable>) => new Map([...m].filter(([name]) => keep(name)).map(([name, v]) => [name, tf.variable(v, false)] as const));
  return { trainable: copy(online.trainable), buffers: copy(online.buffers) };
}

/**
 * target <- m * target + (1 - m) * online, over the target's trainable weights. Buffers
 * (batch-norm running averages) are left alone: momentum networks run with batch
 * statistics.
 */
export function emaUpdate(target: Params, online: Params, momentum: number): void {
  tf.tidy(() => {
    for (const [name, t] of target.trainable) {
      const q = online.trainable.get(name);
      if (!q) throw new Error(`momentum update: online network has no parameter "${name}"`);
      t.assign(movingAverage(t, q, momentum));
    }
  });
}
