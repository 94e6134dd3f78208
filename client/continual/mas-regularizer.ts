/**
 * MAS as a regularizer: importances accumulated over finished chunks, anchors at the
 * weights each chunk left, penalty lambda/2 * sum(importance * (theta - anchor)^2).
 */
import type { RegularizerOptions } from '../../shared/tasks.js';
import { paramsToArrays, type ParamArrays, type Params } from '../models/params.js';
import type { ExtraLoss } from '../ssl/method.js';
import { masImportance } from './mas.js';
import { addImportance, anchorPenalty, disposeAnchored, normalizeMax, toAnchored, type AnchoredImportance } from './penalty.js';
import type { AfterStageContext, Regularizer, RegularizerState } from './regularizer.js';

export class MasRegularizer implements Regularizer {
  private importance: ParamArrays | null;
  private anchor: ParamArrays | null;
  private anchored: AnchoredImportance | null = null;

  constructor(
    private readonly options: RegularizerOptions,
    online: Params,
    state: RegularizerState | null,
  ) {
    this.importance = state?.importance ?? null;
    this.anchor = state?.anchor ?? null;
    if (state && (!this.importance || !this.anchor)) throw new Error('MAS state: needs both "importance" and "anchor"');
    if (this.importance && this.anchor) this.anchored = toAnchored(online, this.importance, this.anchor, 'MAS state');
  }

  extraLoss(): ExtraLoss | undefined {
    const anchored = this.anchored;
    if (!anchored || this.options.lambda === 0) return undefined;
    return ({ online }) => anchorPenalty(online, anchored, this.options.lambda);
  }

  async afterStage({ online, backbone, plainBatches }: AfterStageContext): Promise<void> {
    this.importance = addImportance(this.importance, normalizeMax(await masImportance(online, backbone, plainBatches())));
    // Only trainable weights are anchored: batch-norm statistics are not parameters.
    const all = await paramsToArrays(online);
    this.anchor = Object.fromEntries([...online.trainable.keys()].map((name) => [name, all[name]]));
  }

  exportState(): RegularizerState {
    return this.importance && this.anchor ? { importance: this.importance, anchor: this.anchor } : {};
  }

  dispose(): void {
    if (this.anchored) disposeAnchored(this.anchored);
    this.anchored = null;
  }
}
