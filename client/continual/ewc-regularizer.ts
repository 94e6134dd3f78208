/**
 * Elastic Weight Consolidation (Kirkpatrick et al. 2017, https://arxiv.org/abs/1612.00796)
 * for a self-supervised encoder: the diagonal Fisher information of the SSL loss itself,
 * estimated as the mean squared gradient of that loss over batches of the finished chunk,
 * accumulated across chunks; penalty lambda/2 * sum(F * (theta - anchor)^2).
 *
 * Gradients are per mini-batch (the "empirical Fisher" of batch means): per-sample
 * gradients would cost one backward pass per image.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RegularizerOptions } from '../../shared/tasks.js';
import type { ParamArrays, Params } from '../models/params.js';
import { AnchoredRegularizer } from './anchored-regularizer.js';
import type { AfterStageContext, RegularizerState } from './regularizer.js';

export class EwcRegularizer extends AnchoredRegularizer {
  constructor(options: RegularizerOptions, online: Params, state: RegularizerState | null) {
    super(options, online, state, 'fisher', 'EWC');
  }

  /** Mean squared gradient of the SSL loss over batches of the chunk. */
  protected async measure(ctx: AfterStageContext): Promise<ParamArrays> {
    const names = [...ctx.online.trainable.keys()];
    const sums = new Map(names.map((n) => [n, tf.variable(tf.zerosLike(ctx.online.trainable.get(n)!), false)] as const));
    let batches = 0;
    await ctx.sslGradients((grads) => {
      tf.tidy(() => {
        for (const [name, g] of grads) sums.get(name)?.assign(tf.add(sums.get(name)!, tf.square(g)));
      });
      batches++;
    });
    if (batches === 0) throw new Error('EWC: no batches to estimate the Fisher information on');
    const fisher: ParamArrays = {};
    for (const [name, sum] of sums) {
      const mean = tf.div(sum, batches);
      fisher[name] = { shape: sum.shape.slice(), values: (await mean.data()) as Float32Array };
      tf.dispose([mean, sum]);
    }
    return fisher;
  }
}
