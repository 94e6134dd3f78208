/**
 * Barlow Twins: make the cross-correlation of the two views' embeddings the identity,
 * so features agree across views (diagonal) and carry no redundancy (off-diagonal).
 * Zbontar et al. 2021, "Barlow Twins: Self-Supervised Learning via Redundancy
 * Reduction", https://arxiv.org/abs/2103.03230.
 *
 * Projector Linear-BN-ReLU-Linear (the paper's has three layers of 8192 units; two keep
 * small models small). No negatives, no momentum encoder, no predictor.
 */
import { SSL_LAYOUTS, twoLayerHead } from '../../shared/ssl-layout.js';
import type * as tf from '@tensorflow/tfjs-core';
import type { EncoderOptions } from '../models/encoder.js';
import { createParams, type Params } from '../models/params.js';
import { twoViewEmbeddings, type MlpHeadOptions } from '../models/predictor.js';
import type { Objective } from './gradient-step.js';
import { barlowTwinsLoss } from './losses.js';
import type { SslMethod, TrainBatch } from './method.js';
import { OnlineObjectiveMethod } from './online-objective-method.js';

export interface BarlowTwinsOptions {
  encoder: EncoderOptions;
  /** Weight of the off-diagonal (redundancy reduction) term. */
  lambda: number;
  bnGroups: number;
}

export class BarlowTwins extends OnlineObjectiveMethod implements SslMethod {
  readonly online: Params;
  protected readonly stateName = 'Barlow Twins';
  private readonly head: MlpHeadOptions;

  constructor(
    protected readonly options: BarlowTwinsOptions,
    seed: number,
  ) {
    super();
    this.head = twoLayerHead(options.encoder);
    this.online = createParams(SSL_LAYOUTS['barlow-twins'](options.encoder).online, seed, options.encoder.init);
  }

  /** Barlow Twins' own loss between predicted and frozen representations. */
  distillationLoss(predicted: tf.Tensor2D, frozen: tf.Tensor2D): tf.Scalar {
    return barlowTwinsLoss(predicted, frozen, this.options.lambda);
  }

  protected objective({ view1, view2 }: TrainBatch): Objective {
    const { encoder, lambda } = this.options;
    return (mode) => {
      const { representation, z1, z2 } = twoViewEmbeddings(this.online, encoder.backbone, 'head', this.head, view1, view2, mode);
      return { loss: barlowTwinsLoss(z1, z2, lambda), representation };
    };
  }
}
