/**
 * The plumbing every method's step shares: gradients of a loss over the online
 * trainables, the optional extra term, the optimizer update, batch-norm statistics and
 * clean-up; and the same objective evaluated without a step (loss landscapes). Methods
 * only write the loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import { updateRunningStats, type BatchStat, type ForwardMode } from '../models/layers.js';
import type { Params } from '../models/params.js';
import { leanVariableGrads } from '../optim/lean-grads.js';
import type { Sgd } from '../optim/sgd.js';
import type { ExtraLoss } from './method.js';

/** What a method's loss closure returns. */
export interface StepObjective {
  /** The method's loss. */
  loss: tf.Scalar;
  /** Backbone features of view1 from this same forward pass (handed to `extra`). */
  representation: tf.Tensor2D;
}

/** A method's loss on one batch, as a function of how batch norm runs. */
export type Objective = (mode: ForwardMode) => StepObjective;

export interface GradientStepOptions {
  online: Params;
  optimizer: Sgd;
  lr: number;
  /** Ghost batch-norm groups of the training forward passes. */
  bnGroups: number;
  view1: tf.Tensor4D;
  extra?: ExtraLoss;
}

/**
 * One optimizer step: runs `objective` (in training mode, collecting batch statistics)
 * under tf.variableGrads (its lean twin: same gradients, memory freed as the backward pass
 * goes) over `online.trainable`, adds `extra` when given, refuses a
 * non-finite total or gradient before touching the weights, applies the optimizer,
 * folds the batch statistics into the running averages and frees everything. Returns
 * the method's loss.
 */
export function gradientStep(o: GradientStepOptions, objective: Objective): number {
  const { online, extra, view1 } = o;
  const stats: BatchStat[] = [];
  const mode: ForwardMode = { training: true, bnGroups: o.bnGroups, stats };
  // The method's own loss, kept out of the tape's tidy when an extra term is added to it.
  const kept: { loss?: tf.Scalar } = {};
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | null = null;
  try {
    result = leanVariableGrads(() => {
      const { loss, representation } = objective(mode);
      if (!extra) return loss;
      kept.loss = tf.keep(loss);
      return tf.add(loss, extra({ online, representation, view1 })) as tf.Scalar;
    }, [...online.trainable.values()]);
    // One read for the loss, the method's own part and a sum over every gradient (NaN or
    // infinite when any element is): non-finite gradients must not reach the weights either.
    const { value, grads } = result;
    const checks = tf.tidy(() => tf.stack([value, kept.loss ?? value, tf.addN(Object.values(grads).map((g) => tf.sum(g)))]));
    const [total, loss, gradientSum] = checks.dataSync();
    checks.dispose();
    if (!Number.isFinite(total) || !Number.isFinite(gradientSum)) {
      const what = !Number.isFinite(total) ? `loss is ${loss}${extra ? ` (with the extra term: ${total})` : ''}` : `gradients are not finite (loss ${loss})`;
      throw new Error(`training diverged: ${what}; the update was not applied`);
    }
    o.optimizer.apply(online.trainable, result.grads, o.lr);
    updateRunningStats(online, stats);
    return loss;
  } finally {
    for (const s of stats) tf.dispose([s.mean, s.variance]);
    stats.length = 0;
    if (result) tf.dispose([result.value, ...Object.values(result.grads)]);
    kept.loss?.dispose();
  }
}

/**
 * The value of `objective` in the training-mode forward a step uses (batch statistics,
 * the same ghost batch-norm groups), without gradients, update or running-statistics
 * update. A non-finite loss is returned as it is: far from a minimum it is a finding.
 */
export function evaluateObjective(bnGroups: number, objective: Objective): number {
  // No `stats` in the mode: the forward pass measures batch statistics but keeps none.
  const loss = tf.tidy(() => objective({ training: true, bnGroups }).loss);
  try {
    return loss.dataSync()[0];
  } finally {
    loss.dispose();
  }
}

/**
 * A copy of `x` through which no gradient flows (the stop-gradient of SimSiam and of
 * targets computed inside a gradient closure). tfjs-core has no such op.
 */
export const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as <T extends tf.Tensor>(x: T) => T;
