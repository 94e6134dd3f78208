/**
 * What every SSL method offers the trainer: one optimizer step on two views, the same
 * loss evaluated without a step (for loss landscapes), and the state that must travel
 * for training to continue elsewhere.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../../shared/random.js';
import type { MethodState } from '../../shared/state/arrays.js';
import type { PartsMeta } from '../../shared/state/part-meta.js';
import type { Params } from '../models/params.js';
import type { Sgd } from '../optim/sgd.js';

/** What a regularizer sees inside a method's gradient computation. */
export interface ExtraLossContext {
  /** Every trainable parameter the step updates (backbone, heads, predictor). */
  online: Params;
  /** Backbone features of `view1` [B, featureDim], computed inside the gradient closure. */
  representation: tf.Tensor2D;
  view1: tf.Tensor4D;
}

/**
 * A term added to a method's loss inside the gradient computation, so its gradient
 * flows into the update: the hook continual strategies (MAS, EWC, distillation) use.
 * It runs inside the step's tape; intermediate tensors it creates are freed with it.
 */
export type ExtraLoss = (ctx: ExtraLossContext) => tf.Scalar;

/** One training batch: two augmented views of the same images, and their labels. */
export interface TrainBatch {
  view1: tf.Tensor4D;
  view2: tf.Tensor4D;
  /** Class ids [B] (int32): only the supervised baseline reads them. */
  labels?: tf.Tensor1D;
}

export interface SslMethod {
  /**
   * Every trainable parameter the optimizer updates (and the buffers beside them): the
   * encoder plus any head or predictor. Its backbone is what gets evaluated and handed on.
   */
  readonly online: Params;
  /**
   * One optimizer step on a batch's two augmented views. Returns the method's own loss
   * (without `extra`, so losses stay comparable across strategies). Throws, before
   * changing the weights, when the loss (with `extra`) is not finite.
   */
  step(batch: TrainBatch, optimizer: Sgd, lr: number, rng: Random, extra?: ExtraLoss): number;
  /**
   * The loss `step` would report on this batch, computed by the same objective code in
   * the same training-mode forward (batch statistics, ghost batch-norm groups), and
   * changing nothing: no weight update, no momentum-encoder update, no queue push, no
   * running statistics. Where `step` changes state before its loss (MoCo moves its key
   * encoder by EMA first), this uses the state as it is, so it equals the step's loss
   * only when that change is nil (momentum 1, or key equal to online). `rng` drives the
   * loss's random parts (the shuffles before ghost batch norm) as in `step`. A
   * non-finite loss is returned, not refused. Costs one forward pass of every network
   * the loss reads, and one read from the backend.
   */
  evaluateLoss(batch: TrainBatch, rng: Random): number;
  /**
   * What CaSSLe-style distillation (client/continual/distill-regularizer.ts) minimizes for
   * this method: the method's own loss form between the distillation predictor's output
   * and the frozen previous model's representation of the same images. Runs inside the
   * step's tape; reads options only, never the method's weights.
   */
  distillationLoss(predicted: tf.Tensor2D, frozen: tf.Tensor2D): tf.Scalar;
  exportState(): Promise<MethodState>;
  /**
   * How the parts of the exported state combine with other states' (fedavg, the line
   * between two models), travelling in the state beside them; parts it does not name
   * are averaged parameters. Only methods with a part that is not parameters declare it.
   */
  readonly partMeta?: PartsMeta;
  /** Restores a state; refuses one whose names or shapes do not match. */
  importState(state: MethodState): void;
  dispose(): void;
}
