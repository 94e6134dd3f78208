/**
 * Parameter regularizers of continual learning, behind one interface: during a stage
 * they add a penalty to the SSL loss; after it they learn from the finished chunk. Their
 * state (importances, anchor weights) travels with the model. The implementations are
 * named in regularizers.ts.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { InitScheme } from '../../shared/model/init.js';
import type { ParamArrays } from '../../shared/state/arrays.js';
import type { RegularizerOptions } from '../../shared/tasks.js';
import type { Params } from '../models/params.js';
import type { BackboneOptions } from '../models/resnet.js';
import type { ExtraLoss, SslMethod } from '../ssl/method.js';

/** The settings every regularizer takes: the task's RegularizerOptions, under any registry's name. */
export type RegularizerSettings = Omit<RegularizerOptions, 'name'> & { name: string };

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

/** What a regularizer may need beyond its options: the model's shape and the method it regularizes. */
export interface RegularizerContext {
  backbone: BackboneOptions;
  /** The method's own distillation loss form (CaSSLe). */
  distillationLoss: SslMethod['distillationLoss'];
  /** The model seed: a regularizer's own weights start from it. */
  seed: number;
  /** The model's init scheme: a regularizer's own layers start as the model's do. */
  init: InitScheme;
}
