/**
 * SimSiam: a siamese network that predicts one view's embedding from the other, with a
 * stop-gradient instead of negatives or a momentum encoder.
 * Chen & He 2021, "Exploring Simple Siamese Representation Learning",
 * https://arxiv.org/abs/2011.10566.
 *
 * Projector Linear-BN-ReLU-Linear-BN (the paper's CIFAR variant has two layers with
 * batch norm on the output too); predictor Linear-BN-ReLU-Linear. The loss is
 * D(p1, sg(z2)) / 2 + D(p2, sg(z1)) / 2 with D the negative cosine, so it lies in
 * [-1, 1]; the stop-gradient is what keeps it from collapsing.
 */
import { SSL_LAYOUTS, twoLayerHead } from '../../shared/ssl-layout.js';
import * as tf from '@tensorflow/tfjs-core';
import type { EncoderOptions } from '../models/encoder.js';
import { createParams, type Params } from '../models/params.js';
import { predictorForward, twoViewEmbeddings, type MlpHeadOptions } from '../models/predictor.js';
import { stopGradient, type Objective } from './gradient-step.js';
import { negativeCosine } from './losses.js';
import type { SslMethod, TrainBatch } from './method.js';
import { OnlineObjectiveMethod } from './online-objective-method.js';

export interface SimsiamOptions {
  encoder: EncoderOptions;
  /** Hidden width of the predictor (the paper's is a bottleneck: a quarter of the embedding). */
  predictorHidden: number;
  bnGroups: number;
}

export class SimSiam extends OnlineObjectiveMethod implements SslMethod {
  readonly online: Params;
  protected readonly stateName = 'SimSiam';
  private readonly head: MlpHeadOptions;

  constructor(
    protected readonly options: SimsiamOptions,
    seed: number,
  ) {
    super();
    this.head = twoLayerHead(options.encoder, true);
    this.online = createParams(SSL_LAYOUTS.simsiam(options.encoder, options).online, seed, options.encoder.init);
  }

  /** Negative cosine between predicted and frozen representations, the form of its own loss. */
  distillationLoss(predicted: tf.Tensor2D, frozen: tf.Tensor2D): tf.Scalar {
    return negativeCosine(predicted, frozen);
  }

  protected objective({ view1, view2 }: TrainBatch): Objective {
    const { encoder, predictorHidden } = this.options;
    return (mode) => {
      const { representation, z1, z2 } = twoViewEmbeddings(this.online, encoder.backbone, 'head', this.head, view1, view2, mode);
      const p1 = predictorForward(this.online, encoder.outputDim, predictorHidden, z1, mode);
      const p2 = predictorForward(this.online, encoder.outputDim, predictorHidden, z2, mode);
      const loss = tf.mul(tf.add(negativeCosine(p1, stopGradient(z2)), negativeCosine(p2, stopGradient(z1))), 0.5) as tf.Scalar;
      return { loss, representation };
    };
  }
}
