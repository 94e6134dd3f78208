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
import { paramsToArrays, type ParamArrays, type Params } from '../models/params.js';
import type { ExtraLoss } from '../ssl/method.js';
import { addImportance, anchorPenalty, disposeAnchored, normalizeMax, toAnchored, type AnchoredImportance } from './penalty.js';
import type { AfterStageContext, Regularizer, RegularizerState } from './regularizer.js';

export class EwcRegularizer implements Regularizer {
  private fisher: ParamArrays | null;
  private anchor: ParamArrays | null;
  private anchored: AnchoredImportance | null = null;

  constructor(
    private readonly options: RegularizerOptions,
    online: Params,
    state: RegularizerState | null,
  ) {
    this.fisher = state?.fisher ?? null;
    this.anchor = state?.anchor ?? null;
    if (state && (!this.fisher || !this.anchor)) throw new Error('EWC state: needs both "fisher" and "anchor"');
    if (this.fisher && this.anchor) this.anchored = toAnchored(online, this.fisher, this.anchor, 'EWC state');
  }

  extraLoss(): ExtraLoss | undefined {
    const anchored = this.anchored;
    if (!anchored || this.options.lambda === 0) return undefined;
    return ({ online }) => anchorPenalty(online, anchored, this.options.lambda);
  }

  async afterStage(ctx: AfterStageContext): Promise<void> {
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
    this.fisher = addImportance(this.fisher, normalizeMax(fisher));
    const all = await paramsToArrays(ctx.online);
    this.anchor = Object.fromEntries(names.map((name) => [name, all[name]]));
  }

  exportState(): RegularizerState {
    return this.fisher && this.anchor ? { fisher: this.fisher, anchor: this.anchor } : {};
  }

  dispose(): void {
    if (this.anchored) disposeAnchored(this.anchored);
    this.anchored = null;
  }
}
