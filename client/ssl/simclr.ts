/**
 * SimCLR: contrast each image's two views against every other view in the batch.
 * Chen et al. 2020, "A Simple Framework for Contrastive Learning of Visual
 * Representations", https://arxiv.org/abs/2002.05709.
 *
 * Both views go through the same encoder (backbone plus the two-layer MLP head MoCo v2
 * also uses); the loss is NT-Xent over the 2N embeddings. The paper computes batch
 * norm over all devices at once, so positives cannot be told apart by shared
 * statistics; with ghost batch norm here, the second view's batch is shuffled before
 * its groups are formed (as MoCo shuffles its keys), so an image's two views rarely sit
 * in groups of the same images.
 */
import { SSL_LAYOUTS } from '../../shared/ssl-layout.js';
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../../shared/random.js';
import type { EncoderOptions } from '../models/encoder.js';
import { createParams, type Params } from '../models/params.js';
import { projectionForward } from '../models/projection.js';
import { backboneForward } from '../models/resnet.js';
import type { Sgd } from '../optim/sgd.js';
import { evaluateObjective, gradientStep, type Objective } from './gradient-step.js';
import { ntXent, unitRows } from './losses.js';
import { OnlineStateMethod } from './online-state-method.js';
import type { ExtraLoss, TrainBatch, SslMethod } from './method.js';

export interface SimclrOptions {
  encoder: EncoderOptions;
  temperature: number;
  bnGroups: number;
}

export class SimClr extends OnlineStateMethod implements SslMethod {
  readonly online: Params;
  protected readonly stateName = 'SimCLR';

  constructor(
    private readonly options: SimclrOptions,
    seed: number,
  ) {
    super();
    this.online = createParams(SSL_LAYOUTS.simclr(options.encoder).online, seed, options.encoder.init);
  }

  step(batch: TrainBatch, optimizer: Sgd, lr: number, rng: Random, extra?: ExtraLoss): number {
    const { bnGroups } = this.options;
    return this.withObjective(batch, rng, (objective) => gradientStep({ online: this.online, optimizer, lr, bnGroups, view1: batch.view1, extra }, objective));
  }

  evaluateLoss(batch: TrainBatch, rng: Random): number {
    return this.withObjective(batch, rng, (objective) => evaluateObjective(this.options.bnGroups, objective));
  }

  /** Contrastive, as its own loss: NT-Xent between the unit predicted and frozen representations. */
  distillationLoss(predicted: tf.Tensor2D, frozen: tf.Tensor2D): tf.Scalar {
    return ntXent(unitRows(predicted), unitRows(frozen), this.options.temperature);
  }

  /** NT-Xent of the batch with the second view shuffled by `rng` for its BN groups, handed to `use`. */
  private withObjective<T>({ view1, view2 }: TrainBatch, rng: Random, use: (objective: Objective) => T): T {
    const { encoder, temperature } = this.options;
    const n = view2.shape[0];
    const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    const inverse = new Array<number>(n);
    perm.forEach((p, i) => (inverse[p] = i));
    const shuffled = tf.tidy(() => tf.gather(view2, tf.tensor1d(perm, 'int32')));
    // Un-shuffling by a permutation matrix: tfjs's wasm backend lacks gather's gradient.
    // Built as int32 and cast: the wasm OneHot kernel (tfjs 4.22) writes an int 1 into a
    // float32 output, which then reads 1.4e-45, and the second view's embeddings vanish.
    const unshuffle = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(inverse, 'int32'), n), 'float32') as tf.Tensor2D);
    try {
      return use((mode) => {
        const representation = backboneForward(this.online, encoder.backbone, view1, mode);
        const z1 = unitRows(projectionForward(this.online, representation));
        const z2 = tf.matMul(unshuffle, unitRows(projectionForward(this.online, backboneForward(this.online, encoder.backbone, shuffled, mode))));
        return { loss: ntXent(z1, z2 as tf.Tensor2D, temperature), representation };
      });
    } finally {
      tf.dispose([shuffled, unshuffle]);
    }
  }
}
