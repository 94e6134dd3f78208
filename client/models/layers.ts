/**
 * The layers the backbones and heads are built from, as functions over named params.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedBatchNormActive, fusedBatchNormTrain } from '../kernels/batch-norm-op.js';
import { fusedBatchNormReluActive, fusedBatchNormReluTrain } from '../kernels/batch-norm-relu-op.js';
import { movingAverage } from '../kernels/optim-ops.js';
import { param, type Params } from './params.js';

export { bnDecls, convDecls, denseDecls } from '../../shared/model/decls.js';

const BN_EPSILON = 1e-5;

/** Batch statistics a training forward pass measured, for the running averages. */
export interface BatchStat {
  name: string;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** How a forward pass treats batch normalization. */
export interface ForwardMode {
  /** Batch statistics (training) or running averages (evaluation). */
  training: boolean;
  /**
   * Ghost batch norm: statistics per group of consecutive samples. With the key
   * encoder's batch shuffled, a positive pair never shares its statistics more often
   * than MoCo's shuffle-BN across devices would allow.
   */
  bnGroups: number;
  /** When given, training passes push their batch statistics here (kept tensors). */
  stats?: BatchStat[];
}


export function conv(p: Params, name: string, x: tf.Tensor4D, stride: number): tf.Tensor4D {
  return tf.conv2d(x, param(p, `${name}.w`) as tf.Tensor4D, stride, 'same');
}

export function dense(p: Params, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, param(p, `${name}.w`) as tf.Tensor2D), param(p, `${name}.b`));
}

/**
 * Batch norm in evaluation mode as one affine map per channel, x * scale + shift:
 * scale = gamma / sqrt(var + eps), shift = beta - mean * scale (for folding it into the
 * preceding convolution, ./folded.ts).
 */
export function batchNormScaleShift(p: Params, name: string): { scale: tf.Tensor; shift: tf.Tensor } {
  return tf.tidy(() => {
    const scale = tf.mul(param(p, `${name}.gamma`), tf.rsqrt(tf.add(param(p, `${name}.var`), BN_EPSILON)));
    return { scale, shift: tf.sub(param(p, `${name}.beta`), tf.mul(param(p, `${name}.mean`), scale)) };
  });
}

/** Batch normalization over NHWC or NC input. */
export function batchNorm<T extends tf.Tensor>(p: Params, name: string, x: T, mode: ForwardMode): T {
  const gamma = param(p, `${name}.gamma`);
  const beta = param(p, `${name}.beta`);
  if (!mode.training) {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(param(p, `${name}.var`), BN_EPSILON)));
    return tf.add(tf.mul(tf.sub(x, param(p, `${name}.mean`)), scale), beta) as T;
  }
  const groups = statGroups(x, mode);
  const channels = x.shape[x.rank - 1];
  if (fusedBatchNormActive()) {
    const fused = fusedBatchNormTrain(x, gamma, beta, groups, BN_EPSILON);
    if (mode.stats) pushStats(mode.stats, name, fused.mean, fused.variance, groups, channels);
    return fused.y as T;
  }
  // [G, B/G, ...rest]: statistics over everything but the group and the channel.
  const grouped = tf.reshape(x, [groups, x.shape[0] / groups, ...x.shape.slice(1)]);
  const axes = Array.from({ length: grouped.rank - 2 }, (_, i) => i + 1);
  const { mean, variance } = tf.moments(grouped, axes, true);
  const normalized = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, BN_EPSILON)));
  if (mode.stats) pushStats(mode.stats, name, mean, variance, groups, channels);
  return tf.add(tf.mul(tf.reshape(normalized, x.shape), gamma), beta) as T;
}

/** Ghost batch-norm groups of a training forward: mode.bnGroups where it divides the batch into groups of 2 or more, else 1. */
function statGroups(x: tf.Tensor, mode: ForwardMode): number {
  const batch = x.shape[0];
  return batch % mode.bnGroups === 0 && batch / mode.bnGroups >= 2 ? mode.bnGroups : 1;
}

/**
 * relu(batchNorm(x) + residual) (residual optional): one op in training where the fused
 * batch norm's ReLU form is registered (client/kernels/batch-norm-relu-op.ts, the same
 * bits), else the separate ops.
 */
export function batchNormRelu<T extends tf.Tensor>(p: Params, name: string, x: T, mode: ForwardMode, residual?: T): T {
  if (mode.training && fusedBatchNormReluActive()) {
    const groups = statGroups(x, mode);
    const fused = fusedBatchNormReluTrain(x, param(p, `${name}.gamma`), param(p, `${name}.beta`), residual, groups, BN_EPSILON);
    if (mode.stats) pushStats(mode.stats, name, fused.mean, fused.variance, groups, x.shape[x.rank - 1]);
    return fused.y as T;
  }
  return reluAfter(batchNorm(p, name, x, mode), residual);
}

/** relu(y + residual) (residual optional) as separate ops. */
export function reluAfter<T extends tf.Tensor>(y: T, residual?: T): T {
  return tf.relu(residual ? tf.add(y, residual) : y) as T;
}

/** The batch's statistics, averaged over the groups, for the running averages. */
function pushStats(stats: BatchStat[], name: string, mean: tf.Tensor, variance: tf.Tensor, groups: number, channels: number): void {
  stats.push({
    name,
    mean: tf.keep(tf.reshape(tf.mean(tf.reshape(mean, [groups, channels]), 0), [channels])) as tf.Tensor1D,
    variance: tf.keep(tf.reshape(tf.mean(tf.reshape(variance, [groups, channels]), 0), [channels])) as tf.Tensor1D,
  });
}

/** Folds measured batch statistics into the running averages and frees them. */
export function updateRunningStats(p: Params, stats: BatchStat[], momentum = 0.9): void {
  tf.tidy(() => {
    for (const s of stats) {
      const mean = param(p, `${s.name}.mean`);
      const variance = param(p, `${s.name}.var`);
      mean.assign(movingAverage(mean, s.mean, momentum));
      variance.assign(movingAverage(variance, s.variance, momentum));
    }
  });
  for (const s of stats) {
    s.mean.dispose();
    s.variance.dispose();
  }
  stats.length = 0;
}
