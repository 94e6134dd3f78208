/**
 * BYOL: predict a slowly moving target network's embedding of the other view.
 * Grill et al. 2020, "Bootstrap Your Own Latent: A New Approach to Self-Supervised
 * Learning", https://arxiv.org/abs/2006.07733.
 *
 * Online network: backbone, projector (Linear-BN-ReLU-Linear) and predictor of the same
 * shape. Target network: backbone and projector only, an exponential moving average of
 * the online ones, updated after each optimizer step as in the paper, and run with
 * batch statistics. The loss is symmetric: 2 - 2cos(p1, z2') + 2 - 2cos(p2, z1'), so it
 * lies in [0, 8]. The EMA coefficient is constant (the paper raises it towards 1 with a
 * cosine schedule; a step does not know the arm's length).
 */
import { SSL_LAYOUTS, twoLayerHead } from '../../shared/ssl-layout.js';
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../../shared/random.js';
import type { MethodState } from '../../shared/state/arrays.js';
import type { EncoderOptions } from '../models/encoder.js';
import type { ForwardMode } from '../models/layers.js';
import { createParams, disposeParams, type Params } from '../models/params.js';
import { predictorForward, twoViewEmbeddings, type MlpHeadOptions } from '../models/predictor.js';
import type { Sgd } from '../optim/sgd.js';
import { emaUpdate, momentumCopy } from './ema.js';
import { evaluateObjective, gradientStep, type Objective } from './gradient-step.js';
import { negativeCosine, normalizedMse } from './losses.js';
import type { ExtraLoss, TrainBatch, SslMethod } from './method.js';
import { exportParts, importParts } from './state-parts.js';

export interface ByolOptions {
  encoder: EncoderOptions;
  /** Hidden width of the predictor. */
  predictorHidden: number;
  /** EMA coefficient of the target network. */
  momentum: number;
  bnGroups: number;
}

export class Byol implements SslMethod {
  readonly online: Params;
  private readonly target: Params;
  private readonly head: MlpHeadOptions;

  constructor(
    private readonly options: ByolOptions,
    seed: number,
  ) {
    this.head = twoLayerHead(options.encoder);
    const layout = SSL_LAYOUTS.byol(options.encoder, options);
    this.online = createParams(layout.online, seed, options.encoder.init);
    const target = new Set(layout.parts.target.map((d) => d.name));
    this.target = momentumCopy(this.online, (name) => target.has(name));
  }

  step(batch: TrainBatch, optimizer: Sgd, lr: number, _rng: Random, extra?: ExtraLoss): number {
    const { bnGroups } = this.options;
    const loss = this.withObjective(batch, (objective) => gradientStep({ online: this.online, optimizer, lr, bnGroups, view1: batch.view1, extra }, objective));
    emaUpdate(this.target, this.online, this.options.momentum);
    return loss;
  }

  /** Negative cosine between predicted and frozen representations, the form of its own loss. */
  distillationLoss(predicted: tf.Tensor2D, frozen: tf.Tensor2D): tf.Scalar {
    return negativeCosine(predicted, frozen);
  }

  evaluateLoss(batch: TrainBatch, _rng: Random): number {
    return this.withObjective(batch, (objective) => evaluateObjective(this.options.bnGroups, objective));
  }

  /** The symmetric loss against the target network's embeddings (freed after `use`). */
  private withObjective<T>({ view1, view2 }: TrainBatch, use: (objective: Objective) => T): T {
    const { encoder, bnGroups, predictorHidden } = this.options;
    const targetMode: ForwardMode = { training: true, bnGroups };
    const [t1, t2] = tf.tidy(() => {
      const { z1, z2 } = twoViewEmbeddings(this.target, encoder.backbone, 'head', this.head, view1, view2, targetMode);
      return [z1, z2];
    });
    try {
      return use((mode) => {
        const { representation, z1, z2 } = twoViewEmbeddings(this.online, encoder.backbone, 'head', this.head, view1, view2, mode);
        const p1 = predictorForward(this.online, encoder.outputDim, predictorHidden, z1, mode);
        const p2 = predictorForward(this.online, encoder.outputDim, predictorHidden, z2, mode);
        return { loss: tf.add(normalizedMse(p1, t2), normalizedMse(p2, t1)) as tf.Scalar, representation };
      });
    } finally {
      tf.dispose([t1, t2]);
    }
  }

  exportState(): Promise<MethodState> {
    return exportParts({ online: this.online, target: this.target });
  }

  importState(state: MethodState): void {
    importParts('BYOL', state, { online: this.online, target: this.target });
  }

  dispose(): void {
    disposeParams(this.online);
    disposeParams(this.target);
  }
}
