/**
 * The encoder every SSL method trains, as the task's model options describe it: the
 * backbone's options and the projection head's sizes, and the plain encoder's parameters
 * (backbone plus MLP projection, MoCo v2's and SimCLR's).
 */
import type { BatchNormKernel, ConvAlgorithm, ModelSpec } from '../scenario.js';
import { backboneDecls, featureDim, type BackboneOptions } from './backbone.js';
import type { ParamDecl } from './decls.js';
import { DEFAULT_INIT, type InitScheme } from './init.js';
import { projectionDecls } from './heads.js';

export interface EncoderOptions {
  backbone: BackboneOptions;
  hiddenDim: number;
  outputDim: number;
  /** How every convolution and dense layer starts (./init.ts). */
  init: InitScheme;
  /** Classes of the dataset: only the supervised baseline's classifier needs them. */
  numClasses?: number;
  /** `fused`: training batch norm as one op where the backend has it (the scenario's `model.batchNorm`). */
  batchNorm?: BatchNormKernel;
  /** `winograd`: winograd convolutions where they are faster (the scenario's `model.convolutions`). */
  convolutions?: ConvAlgorithm;
}

/** The encoder of a task's model options, for images of `inputChannels` channels. */
export function encoderOptions(model: ModelSpec, inputChannels: number, numClasses?: number): EncoderOptions {
  return {
    ...(numClasses !== undefined ? { numClasses } : {}),
    backbone: { inputChannels, widths: model.widths, blocksPerStage: model.blocksPerStage, stemStride: model.stemStride },
    hiddenDim: model.projectionHidden,
    outputDim: model.projectionDim,
    init: model.init ?? DEFAULT_INIT,
    ...(model.batchNorm !== undefined ? { batchNorm: model.batchNorm } : {}),
    ...(model.convolutions !== undefined ? { convolutions: model.convolutions } : {}),
  };
}

/** Backbone plus the plain MLP projection head. */
export function encoderDecls(o: EncoderOptions): ParamDecl[] {
  return [...backboneDecls(o.backbone), ...projectionDecls({ inputDim: featureDim(o.backbone), hiddenDim: o.hiddenDim, outputDim: o.outputDim })];
}
