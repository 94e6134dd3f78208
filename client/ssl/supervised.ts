/**
 * The supervised baseline: the same backbone trained with cross-entropy on the labels of
 * each chunk, through a linear classifier on its pooled features. The paper sets its
 * forgetting beside SSL's: trained chunk after chunk, supervised models forget earlier
 * classes far more. Only the first view is used, with the same augmentations as SSL.
 */
import { SSL_LAYOUTS } from '../../shared/ssl-layout.js';
import * as tf from '@tensorflow/tfjs-core';
import type { EncoderOptions } from '../models/encoder.js';
import { dense } from '../models/layers.js';
import { createParams, type Params } from '../models/params.js';
import { backboneForward } from '../models/resnet.js';
import type { Objective } from './gradient-step.js';
import { negativeCosine } from './losses.js';
import type { SslMethod, TrainBatch } from './method.js';
import { OnlineObjectiveMethod } from './online-objective-method.js';

export interface SupervisedOptions {
  encoder: EncoderOptions;
  numClasses: number;
  bnGroups: number;
}

/** Mean softmax cross-entropy of `logits` [B, C] against class ids `labels` [B]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1])), 1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

export class Supervised extends OnlineObjectiveMethod implements SslMethod {
  readonly online: Params;
  protected readonly stateName = 'supervised';

  constructor(
    protected readonly options: SupervisedOptions,
    seed: number,
  ) {
    super();
    this.online = createParams(SSL_LAYOUTS.supervised({ ...options.encoder, numClasses: options.numClasses }).online, seed, options.encoder.init);
  }

  /** The cross-entropy of the classifier on view1's features (view2 is not used). */
  /** Negative cosine between predicted and frozen representations: cross-entropy has no representation-to-representation form. */
  distillationLoss(predicted: tf.Tensor2D, frozen: tf.Tensor2D): tf.Scalar {
    return negativeCosine(predicted, frozen);
  }

  protected objective({ view1, labels }: TrainBatch): Objective {
    if (!labels) throw new Error('the supervised baseline needs labels with every batch');
    const { backbone } = this.options.encoder;
    return (mode) => {
      const representation = backboneForward(this.online, backbone, view1, mode);
      return { loss: crossEntropy(dense(this.online, 'classifier', representation), labels), representation };
    };
  }
}
