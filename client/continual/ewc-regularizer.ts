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
import type { ParamArrays } from '../../shared/state/arrays.js';
import type { Params } from '../models/params.js';
import { AnchoredRegularizer } from './anchored-regularizer.js';
import { GradientMeans } from './gradient-means.js';
import type { AfterStageContext, RegularizerSettings, RegularizerState } from './regularizer.js';

export class EwcRegularizer extends AnchoredRegularizer {
  constructor(options: RegularizerSettings, online: Params, state: RegularizerState | null) {
    super(options, online, state, 'fisher', 'EWC');
  }

  /** Mean squared gradient of the SSL loss over batches of the chunk. */
  protected async measure(ctx: AfterStageContext): Promise<ParamArrays> {
    const squares = new GradientMeans(ctx.online);
    await ctx.sslGradients((grads) => squares.add((name) => grads.get(name), tf.square));
    return squares.means('EWC: no batches to estimate the Fisher information on');
  }
}
