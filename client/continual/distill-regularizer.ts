/**
 * Distillation in the style of CaSSLe (Fini et al. 2022, "Self-Supervised Models are
 * Continual Learners", https://arxiv.org/abs/2112.04215): a predictor maps the current
 * representation of a batch to the representation the frozen previous model (the state
 * at the end of the last chunk) gives the same images, trained with the SSL loss's own
 * form (each method's `distillationLoss`); the penalty is lambda times that loss.
 *
 * The frozen backbone and, mid-stage, the predictor travel in the state. The predictor's
 * weights join the method's trainable parameters for the stage (so the same optimizer
 * step trains them) and leave them before the method's state is exported.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamArrays } from '../../shared/state/arrays.js';
import { DISTILL_PREFIX as PREFIX, distillPredictorDecls } from '../../shared/model/regularizer-layout.js';
import { dense } from '../models/layers.js';
import { assignParams, createParams, disposeParams, paramsToArrays, type Params } from '../models/params.js';
import { backboneDecls, backboneForward } from '../models/resnet.js';
import { stopGradient } from '../ssl/gradient-step.js';
import type { ExtraLoss } from '../ssl/method.js';
import type { AfterStageContext, Regularizer, RegularizerContext, RegularizerSettings, RegularizerState } from './regularizer.js';

export class DistillRegularizer implements Regularizer {
  private readonly frozen: Params | null = null;
  private predictor: Params | null = null;
  private frozenArrays: ParamArrays | null;
  private online: Params | null = null;

  constructor(
    private readonly options: RegularizerSettings,
    online: Params,
    state: RegularizerState | null,
    private readonly ctx: RegularizerContext,
  ) {
    this.frozenArrays = state?.frozen ?? null;
    if (!this.frozenArrays) return; // first chunk: nothing to distill from yet
    this.frozen = createParams(backboneDecls(ctx.backbone), ctx.seed, ctx.init);
    assignParams(this.frozen, this.frozenArrays, 'distillation: frozen model');
    this.predictor = createParams(distillPredictorDecls(ctx.backbone), ctx.seed + 7, ctx.init);
    if (state?.predictor) assignParams(this.predictor, state.predictor, 'distillation: predictor');
    // Without a penalty the predictor gets no gradient: it then stays out of the step.
    if (options.lambda === 0) return;
    for (const [name, v] of this.predictor.trainable) online.trainable.set(name, v);
    this.online = online;
  }

  extraLoss(): ExtraLoss | undefined {
    const { frozen, predictor } = this;
    if (!frozen || !predictor || this.options.lambda === 0) return undefined;
    return ({ representation, view1 }) => {
      const target = stopGradient(backboneForward(frozen, this.ctx.backbone, view1, { training: false, bnGroups: 1 }));
      const predicted = dense(predictor, `${PREFIX}.fc2`, tf.relu(dense(predictor, `${PREFIX}.fc1`, representation)));
      return tf.mul(this.ctx.distillationLoss(predicted, target), this.options.lambda) as tf.Scalar;
    };
  }

  /** The model that just finished the chunk becomes the one to distill from; the predictor starts afresh. */
  async afterStage({ online }: AfterStageContext): Promise<void> {
    this.detach();
    const all = await paramsToArrays(online);
    this.frozenArrays = Object.fromEntries(Object.entries(all).filter(([name]) => name.startsWith('backbone.')));
    this.predictor && disposeParams(this.predictor);
    this.predictor = null;
  }

  exportState(): RegularizerState {
    this.detach();
    if (!this.frozenArrays) return {};
    const state: RegularizerState = { frozen: this.frozenArrays };
    // Mid-stage, the predictor trained so far travels too.
    if (this.predictor) {
      state.predictor = Object.fromEntries(
        [...this.predictor.trainable].map(([name, v]) => [name, { shape: v.shape.slice(), values: v.dataSync() as Float32Array }]),
      );
    }
    return state;
  }

  /** Takes the predictor's weights back out of the method's parameters. */
  private detach(): void {
    if (!this.online || !this.predictor) return;
    for (const name of this.predictor.trainable.keys()) this.online.trainable.delete(name);
    this.online = null;
  }

  dispose(): void {
    this.detach();
    if (this.frozen) disposeParams(this.frozen);
    if (this.predictor) disposeParams(this.predictor);
  }
}
