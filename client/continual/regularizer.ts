/**
 * Parameter regularizers of continual learning, behind one interface: during a stage
 * they add a penalty to the SSL loss; after it they learn from the finished chunk. Their
 * state (importances, anchor weights) travels with the model.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ParamArrays } from '../../shared/state/arrays.js';
import type { RegularizerOptions } from '../../shared/tasks.js';
import type { Params } from '../models/params.js';
import type { BackboneOptions } from '../models/resnet.js';
import type { ExtraLoss } from '../ssl/method.js';
import { DistillRegularizer, type DistillContext } from './distill-regularizer.js';
import { EwcRegularizer } from './ewc-regularizer.js';
import { MasRegularizer } from './mas-regularizer.js';

/** A regularizer's transferable state: named arrays per component. */
export type RegularizerState = Record<string, ParamArrays>;

/** What a regularizer may measure on the chunk just trained. */
export interface AfterStageContext {
  online: Params;
  backbone: BackboneOptions;
  /** Un-augmented, normalized images of the chunk; each is disposed when the next is taken. */
  plainBatches(): Iterable<tf.Tensor4D>;
  /**
   * Gradients of the method's own SSL loss, by parameter name, on augmented batches of
   * the chunk, computed on a throw-away copy of the method (nothing is updated). The
   * tensors are freed after `visit` returns.
   */
  sslGradients(visit: (grads: Map<string, tf.Tensor>) => void): Promise<void>;
}

export interface Regularizer {
  /** The penalty for this stage; undefined before any chunk has been learned. */
  extraLoss(): ExtraLoss | undefined;
  /** Learns from the chunk just trained. */
  afterStage(ctx: AfterStageContext): Promise<void>;
  /**
   * The state to hand on. Called before the method's own state is exported: a regularizer
   * that lent parameters to the method takes them back here.
   */
  exportState(): RegularizerState;
  dispose(): void;
}

type RegularizerFactory = (options: RegularizerOptions, online: Params, state: RegularizerState | null, ctx: DistillContext) => Regularizer;

export const REGULARIZERS: Record<RegularizerOptions['name'], RegularizerFactory> = {
  mas: (options, online, state) => new MasRegularizer(options, online, state),
  ewc: (options, online, state) => new EwcRegularizer(options, online, state),
  distill: (options, online, state, ctx) => new DistillRegularizer(options, online, state, ctx),
};

export function createRegularizer(options: RegularizerOptions, online: Params, state: RegularizerState | null, ctx: DistillContext): Regularizer {
  return REGULARIZERS[options.name](options, online, state, ctx);
}
