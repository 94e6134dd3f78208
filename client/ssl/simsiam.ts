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
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../../shared/random.js';
import type { EncoderOptions } from '../models/encoder.js';
import type { ForwardMode } from '../models/layers.js';
import { createParams, disposeParams, type Params } from '../models/params.js';
import { mlpHeadDecls, mlpHeadForward, predictorDecls, predictorForward, type MlpHeadOptions } from '../models/predictor.js';
import { backboneDecls, backboneForward, featureDim } from '../models/resnet.js';
import type { Sgd } from '../optim/sgd.js';
import { gradientStep, stopGradient } from './gradient-step.js';
import { negativeCosine } from './losses.js';
import type { ExtraLoss, TrainBatch, MethodState, SslMethod } from './method.js';
import { exportParts, importParts } from './state-parts.js';

export interface SimsiamOptions {
  encoder: EncoderOptions;
  /** Hidden width of the predictor (the paper's is a bottleneck: a quarter of the embedding). */
  predictorHidden: number;
  bnGroups: number;
}

export class SimSiam implements SslMethod {
  readonly online: Params;
  private readonly head: MlpHeadOptions;

  constructor(
    private readonly options: SimsiamOptions,
    seed: number,
  ) {
    const { backbone, hiddenDim, outputDim } = options.encoder;
    this.head = { inputDim: featureDim(backbone), hiddenDim, outputDim, outputBatchNorm: true };
    this.online = createParams([...backboneDecls(backbone), ...mlpHeadDecls('head', this.head), ...predictorDecls(outputDim, options.predictorHidden)], seed);
  }

  step({ view1, view2 }: TrainBatch, optimizer: Sgd, lr: number, _rng: Random, extra?: ExtraLoss): number {
    const { encoder, bnGroups, predictorHidden } = this.options;
    return gradientStep({ online: this.online, optimizer, lr, bnGroups, view1, extra }, (mode: ForwardMode) => {
      const representation = backboneForward(this.online, encoder.backbone, view1, mode);
      const z1 = mlpHeadForward(this.online, 'head', this.head, representation, mode);
      const z2 = mlpHeadForward(this.online, 'head', this.head, backboneForward(this.online, encoder.backbone, view2, mode), mode);
      const p1 = predictorForward(this.online, encoder.outputDim, predictorHidden, z1, mode);
      const p2 = predictorForward(this.online, encoder.outputDim, predictorHidden, z2, mode);
      const loss = tf.mul(tf.add(negativeCosine(p1, stopGradient(z2)), negativeCosine(p2, stopGradient(z1))), 0.5) as tf.Scalar;
      return { loss, representation };
    });
  }

  exportState(): Promise<MethodState> {
    return exportParts({ online: this.online });
  }

  importState(state: MethodState): void {
    importParts('SimSiam', state, { online: this.online });
  }

  dispose(): void {
    disposeParams(this.online);
  }
}
