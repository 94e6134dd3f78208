/**
 * What MAS and EWC share: per-parameter importances accumulated over finished chunks
 * (each chunk's scaled so its largest is 1), anchors at the weights each chunk left, and
 * the penalty lambda/2 * sum(importance * (theta - anchor)^2). Subclasses only say how a
 * chunk's importances are measured and what they are called in the state.
 */
import type { ParamArrays } from '../../shared/state/arrays.js';
import { paramsToArrays, type Params } from '../models/params.js';
import type { ExtraLoss } from '../ssl/method.js';
import { addImportance, anchorPenalty, disposeAnchored, normalizeMax, toAnchored, type AnchoredImportance } from './penalty.js';
import type { AfterStageContext, Regularizer, RegularizerSettings, RegularizerState } from './regularizer.js';

export abstract class AnchoredRegularizer implements Regularizer {
  private importance: ParamArrays | null;
  private anchor: ParamArrays | null;
  private anchored: AnchoredImportance | null = null;

  /**
   * @param key what the importances are called in the state (`importance`, `fisher`)
   * @param label how errors name the regularizer
   */
  protected constructor(
    private readonly options: RegularizerSettings,
    online: Params,
    state: RegularizerState | null,
    private readonly key: string,
    label: string,
  ) {
    this.importance = state?.[key] ?? null;
    this.anchor = state?.anchor ?? null;
    if (state && (!this.importance || !this.anchor)) throw new Error(`${label} state: needs both "${key}" and "anchor"`);
    if (this.importance && this.anchor) this.anchored = toAnchored(online, this.importance, this.anchor, `${label} state`);
  }

  /** The finished chunk's raw importances, one entry per trainable parameter. */
  protected abstract measure(ctx: AfterStageContext): Promise<ParamArrays>;

  extraLoss(): ExtraLoss | undefined {
    const anchored = this.anchored;
    if (!anchored || this.options.lambda === 0) return undefined;
    return ({ online }) => anchorPenalty(online, anchored, this.options.lambda);
  }

  async afterStage(ctx: AfterStageContext): Promise<void> {
    this.importance = addImportance(this.importance, normalizeMax(await this.measure(ctx)));
    // Only trainable weights are anchored: batch-norm statistics are not parameters.
    const all = await paramsToArrays(ctx.online);
    this.anchor = Object.fromEntries([...ctx.online.trainable.keys()].map((name) => [name, all[name]]));
  }

  exportState(): RegularizerState {
    return this.importance && this.anchor ? { [this.key]: this.importance, anchor: this.anchor } : {};
  }

  dispose(): void {
    if (this.anchored) disposeAnchored(this.anchored);
    this.anchored = null;
  }
}
