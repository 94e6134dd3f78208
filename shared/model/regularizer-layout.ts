/**
 * What each regularizer's state holds (client/continual/): MAS's importances and EWC's
 * Fisher information with their anchors (one per trainable parameter), distillation's
 * frozen backbone and its predictor. Declared once: the client builds the distillation
 * predictor from it, the coordinator checks states against it (../state/manifest.ts).
 */
import type { RegularizerName } from '../continual-names.js';
import { backboneDecls, featureDim, type BackboneOptions } from './backbone.js';
import { denseDecls, type ArrayDecl, type ParamDecl } from './decls.js';

/** Name prefix of the distillation predictor's parameters. */
export const DISTILL_PREFIX = 'distill';

/** The distillation predictor: representation -> representation, two dense layers. */
export function distillPredictorDecls(backbone: BackboneOptions): ParamDecl[] {
  const dim = featureDim(backbone);
  return [...denseDecls(`${DISTILL_PREFIX}.fc1`, dim, dim), ...denseDecls(`${DISTILL_PREFIX}.fc2`, dim, dim)];
}

/** A regularizer's state layout: its components, and which sets of them a state may hold. */
export interface RegularizerLayout {
  components: Record<string, ArrayDecl[]>;
  /** After a stage ends: the components the regularizer has learnt. */
  afterStage: string[];
  /** Mid-stage (a task that does not end its stage): the components it may carry on, or none yet. */
  midStage: string[];
}

function anchored(key: string, online: readonly ParamDecl[]): RegularizerLayout {
  // Only trainable weights are measured and anchored: batch-norm statistics are not parameters.
  const trainable = online.filter((d) => d.trainable);
  return { components: { [key]: trainable, anchor: trainable }, afterStage: [key, 'anchor'], midStage: [key, 'anchor'] };
}

/**
 * Components that weigh the penalty rather than hold weights (importances, Fisher
 * information): often far smaller than float16 can hold, they travel as float32 when a run
 * sends states as float16 (../wire/state-float16.ts).
 */
export const WEIGHTING_COMPONENTS: readonly string[] = ['importance', 'fisher'];

/** Each regularizer's layout, from the method's online parameters and the backbone. */
export const REGULARIZER_LAYOUTS: { readonly [N in RegularizerName]: (online: readonly ParamDecl[], backbone: BackboneOptions) => RegularizerLayout } = {
  mas: (online) => anchored('importance', online),
  ewc: (online) => anchored('fisher', online),
  // The predictor starts afresh each stage: it travels only mid-stage.
  distill: (_online, backbone) => ({
    components: { frozen: backboneDecls(backbone), predictor: distillPredictorDecls(backbone).filter((d) => d.trainable) },
    afterStage: ['frozen'],
    midStage: ['frozen', 'predictor'],
  }),
};
