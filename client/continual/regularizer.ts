/**
 * Parameter regularizers of continual learning, behind one interface: during a stage
 * they add a penalty to the SSL loss; after it they learn from the finished chunk. Their
 * state (importances, anchor weights) travels with the model.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { RegularizerOptions } from '../../shared/tasks.js';
import type { ParamArrays, Params } from '../models/params.js';
import type { BackboneOptions } from '../models/resnet.js';
import type { ExtraLoss } from '../ssl/method.js';
import { MasRegularizer } from './mas-regularizer.js';

/** A regularizer's transferable state: named arrays per component. */
export type RegularizerState = Record<string, ParamArrays>;

export interface Regularizer {
  /** The penalty for this stage; undefined before any chunk has been learned. */
  extraLoss(): ExtraLoss | undefined;
  /**
   * Learns from the chunk just trained: `batches` yields un-augmented, normalized
   * images of it (each tensor is disposed by the caller after the next one is taken).
   */
  afterStage(online: Params, backbone: BackboneOptions, batches: Iterable<tf.Tensor4D>): Promise<void>;
  exportState(): RegularizerState;
  dispose(): void;
}

type RegularizerFactory = (options: RegularizerOptions, online: Params, state: RegularizerState | null) => Regularizer;

export const REGULARIZERS: Record<RegularizerOptions['name'], RegularizerFactory> = {
  mas: (options, online, state) => new MasRegularizer(options, online, state),
};

export function createRegularizer(options: RegularizerOptions, online: Params, state: RegularizerState | null): Regularizer {
  return REGULARIZERS[options.name](options, online, state);
}
