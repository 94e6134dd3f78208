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
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../../shared/random.js';
import type { EncoderOptions } from '../models/encoder.js';
import type { ForwardMode } from '../models/layers.js';
import { createParams, disposeParams, type Params } from '../models/params.js';
import { mlpHeadDecls, mlpHeadForward, PREDICTOR_PREFIX, predictorDecls, predictorForward, type MlpHeadOptions } from '../models/predictor.js';
import { backboneDecls, backboneForward, featureDim } from '../models/resnet.js';
import type { Sgd } from '../optim/sgd.js';
import { emaUpdate, momentumCopy } from './ema.js';
import { gradientStep } from './gradient-step.js';
import { normalizedMse } from './losses.js';
import type { ExtraLoss, TrainBatch, MethodState, SslMethod } from './method.js';
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
    const { backbone, hiddenDim, outputDim } = options.encoder;
    this.head = { inputDim: featureDim(backbone), hiddenDim, outputDim };
    this.online = createParams([...backboneDecls(backbone), ...mlpHeadDecls('head', this.head), ...predictorDecls(outputDim, options.predictorHidden)], seed);
    this.target = momentumCopy(this.online, (name) => !name.startsWith(`${PREDICTOR_PREFIX}.`));
  }

  private project(p: Params, representation: tf.Tensor2D, mode: ForwardMode): tf.Tensor2D {
    return mlpHeadForward(p, 'head', this.head, representation, mode);
  }

  step({ view1, view2 }: TrainBatch, optimizer: Sgd, lr: number, _rng: Random, extra?: ExtraLoss): number {
    const { encoder, bnGroups, predictorHidden } = this.options;
    const targetMode: ForwardMode = { training: true, bnGroups };
    const [t1, t2] = tf.tidy(() => [view1, view2].map((v) => this.project(this.target, backboneForward(this.target, encoder.backbone, v, targetMode), targetMode)));
    try {
      const loss = gradientStep({ online: this.online, optimizer, lr, bnGroups, view1, extra }, (mode) => {
        const predict = (representation: tf.Tensor2D) => predictorForward(this.online, encoder.outputDim, predictorHidden, this.project(this.online, representation, mode), mode);
        const representation = backboneForward(this.online, encoder.backbone, view1, mode);
        const p1 = predict(representation);
        const p2 = predict(backboneForward(this.online, encoder.backbone, view2, mode));
        return { loss: tf.add(normalizedMse(p1, t2), normalizedMse(p2, t1)) as tf.Scalar, representation };
      });
      emaUpdate(this.target, this.online, this.options.momentum);
      return loss;
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
