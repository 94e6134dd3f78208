/**
 * The layouts of the heads on top of the backbone: MoCo v2's and SimCLR's plain MLP
 * projection, the Linear-BN-ReLU-Linear(-BN) heads of BYOL, SimSiam and Barlow Twins, and
 * the predictor. Their forward passes are client/models/projection.ts and predictor.ts.
 */
import { bnDecls, denseDecls, type ParamDecl } from './decls.js';

export interface ProjectionOptions {
  inputDim: number;
  hiddenDim: number;
  outputDim: number;
}

/** The plain MLP projection `head.fc1`, `head.fc2`. */
export function projectionDecls(o: ProjectionOptions): ParamDecl[] {
  return [...denseDecls('head.fc1', o.inputDim, o.hiddenDim), ...denseDecls('head.fc2', o.hiddenDim, o.outputDim)];
}

export interface MlpHeadOptions {
  inputDim: number;
  hiddenDim: number;
  outputDim: number;
  /** Batch norm after the last layer too (SimSiam's projector). */
  outputBatchNorm?: boolean;
}

/** Parameters `${prefix}.fc1`, `${prefix}.bn1`, `${prefix}.fc2` (and `${prefix}.bn2`). */
export function mlpHeadDecls(prefix: string, o: MlpHeadOptions): ParamDecl[] {
  return [
    ...denseDecls(`${prefix}.fc1`, o.inputDim, o.hiddenDim),
    ...bnDecls(`${prefix}.bn1`, o.hiddenDim),
    ...denseDecls(`${prefix}.fc2`, o.hiddenDim, o.outputDim),
    ...(o.outputBatchNorm ? bnDecls(`${prefix}.bn2`, o.outputDim) : []),
  ];
}

/** Name prefix of the predictor's parameters (the part a target network lacks). */
export const PREDICTOR_PREFIX = 'predictor';

/** The predictor's head options: embedding -> hidden -> embedding. */
export function predictorHead(dim: number, hiddenDim: number): MlpHeadOptions {
  return { inputDim: dim, hiddenDim, outputDim: dim };
}

/** The predictor: embedding -> hidden -> embedding. */
export function predictorDecls(dim: number, hiddenDim: number): ParamDecl[] {
  return mlpHeadDecls(PREDICTOR_PREFIX, predictorHead(dim, hiddenDim));
}
