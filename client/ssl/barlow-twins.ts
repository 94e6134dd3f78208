/**
 * Barlow Twins: make the cross-correlation of the two views' embeddings the identity,
 * so features agree across views (diagonal) and carry no redundancy (off-diagonal).
 * Zbontar et al. 2021, "Barlow Twins: Self-Supervised Learning via Redundancy
 * Reduction", https://arxiv.org/abs/2103.03230.
 *
 * Projector Linear-BN-ReLU-Linear (the paper's has three layers of 8192 units; two keep
 * small models small). No negatives, no momentum encoder, no predictor.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../../shared/random.js';
import type { EncoderOptions } from '../models/encoder.js';
import { createParams, disposeParams, type Params } from '../models/params.js';
import { mlpHeadDecls, mlpHeadForward, type MlpHeadOptions } from '../models/predictor.js';
import { backboneDecls, backboneForward, featureDim } from '../models/resnet.js';
import type { Sgd } from '../optim/sgd.js';
import { gradientStep } from './gradient-step.js';
import { barlowTwinsLoss } from './losses.js';
import type { ExtraLoss, TrainBatch, MethodState, SslMethod } from './method.js';
import { exportParts, importParts } from './state-parts.js';

export interface BarlowTwinsOptions {
  encoder: EncoderOptions;
  /** Weight of the off-diagonal (redundancy reduction) term. */
  lambda: number;
  bnGroups: number;
}

export class BarlowTwins implements SslMethod {
  readonly online: Params;
  private readonly head: MlpHeadOptions;

  constructor(
    private readonly options: BarlowTwinsOptions,
    seed: number,
  ) {
    const { backbone, hiddenDim, outputDim } = options.encoder;
    this.head = { inputDim: featureDim(backbone), hiddenDim, outputDim };
    this.online = createParams([...backboneDecls(backbone), ...mlpHeadDecls('head', this.head)], seed);
  }

  step({ view1, view2 }: TrainBatch, optimizer: Sgd, lr: number, _rng: Random, extra?: ExtraLoss): number {
    const { encoder, bnGroups, lambda } = this.options;
    return gradientStep({ online: this.online, optimizer, lr, bnGroups, view1, extra }, (mode) => {
      const representation = backboneForward(this.online, encoder.backbone, view1, mode);
      const z1 = mlpHeadForward(this.online, 'head', this.head, representation, mode);
      const z2 = mlpHeadForward(this.online, 'head', this.head, backboneForward(this.online, encoder.backbone, view2, mode), mode);
      return { loss: barlowTwinsLoss(z1, z2, lambda), representation };
    });
  }

  exportState(): Promise<MethodState> {
    return exportParts({ online: this.online });
  }

  importState(state: MethodState): void {
    importParts('Barlow Twins', state, { online: this.online });
  }

  dispose(): void {
    disposeParams(this.online);
  }
}
