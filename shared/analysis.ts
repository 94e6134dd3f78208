/**
 * What `streamssl analyze` adds to results.json under `analysis`: representation
 * similarity (CKA), sharpness, few-shot and transfer scores of a run's saved models.
 *
 * Models are named `<arm>/stage-<k>` (the state after stage k of an arm; an arm's last
 * stage is its final model) and `random-init`. Accuracies are fractions in [0, 1] like
 * the rest of results.json, except few-shot means and intervals, which are percents as
 * few-shot papers report them.
 */
import type { AnalysisName, AnalysisSpec } from './scenario.js';

/** Pairwise CKA among one relay arm's stage models and the joint model, per backbone stage. */
export interface ArmCka {
  arm: string;
  /** Row and column names of every matrix: the arm's stages, then the joint model when there is one. */
  models: string[];
  /** Backbone stages whose pooled output is compared (`stage 1` is the shallowest). */
  layers: string[];
  /** [layer][model][model] linear CKA. */
  linear: number[][][];
  /** [layer][model][model] RBF CKA (median-distance bandwidth). */
  rbf: number[][][];
}

export interface CkaResults {
  /** Test images the representations were computed on. */
  probeSamples: number;
  rbfBandwidth: number;
  arms: ArmCka[];
}

/** Rise of the loss over the unperturbed model at one perturbation radius, over the draws. */
export interface PerturbationPoint {
  radius: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface CurvePoint {
  alpha: number;
  loss: number;
}

export interface ModelSharpness {
  model: string;
  /** The method's own loss (SSL, or cross-entropy for the supervised baseline) at the model. */
  baseLoss: number;
  perturbation: PerturbationPoint[];
  /** Loss along one filter-normalized random direction, alpha from -extent to extent. */
  direction: CurvePoint[];
}

/** Loss along the straight line from one model's weights (alpha 0) to another's (alpha 1). */
export interface InterpolationCurve {
  from: string;
  to: string;
  points: CurvePoint[];
}

export interface SharpnessResults {
  /** Training images (all chunks, in their styles) the loss was averaged over. */
  samples: number;
  draws: number;
  models: ModelSharpness[];
  interpolations: InterpolationCurve[];
}

export interface FewShotScore {
  /** `test` for the scenario's own test split, else the transfer dataset's name. */
  dataset: string;
  model: string;
  ways: number;
  shots: number;
  queries: number;
  episodes: number;
  classifier: 'prototype' | 'linear';
  /** Mean episode accuracy, percent. */
  mean: number;
  /** Half-width of the 95% confidence interval of the mean, percent. */
  ci95: number;
}

export interface TransferScore {
  dataset: string;
  model: string;
  knnTop1: number;
  linearTop1: number;
}

export interface AnalysisResults {
  analyzedAt: string;
  seconds: number;
  /** Backend the analyses ran on. */
  backend: string;
  spec: AnalysisSpec;
  cka?: CkaResults;
  sharpness?: SharpnessResults;
  fewShot?: FewShotScore[];
  transfer?: TransferScore[];
  /** Analyses that failed, with the reason; the others' results stand. */
  errors?: Partial<Record<AnalysisName, string>>;
}

/** The name of the model an arm holds after `stage`. */
export function stageModelName(arm: string, stage: number): string {
  return `${arm}/stage-${stage}`;
}

export const RANDOM_INIT_MODEL = 'random-init';
