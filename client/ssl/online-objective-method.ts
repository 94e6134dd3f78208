/**
 * The step and the loss evaluation of a method whose loss reads nothing but the batch
 * and the online weights: no momentum encoder, no queue, no shuffle drawn from the rng.
 * SimSiam, Barlow Twins and the supervised baseline only write their objective; both
 * entry points run that same code, so the evaluated loss is the one training minimizes.
 */
import type { Random } from '../../shared/random.js';
import type { Sgd } from '../optim/sgd.js';
import { evaluateObjective, gradientStep, type Objective } from './gradient-step.js';
import type { ExtraLoss, TrainBatch } from './method.js';
import { OnlineStateMethod } from './online-state-method.js';

export abstract class OnlineObjectiveMethod extends OnlineStateMethod {
  protected abstract readonly options: { bnGroups: number };

  /** The method's loss on `batch`; throws for a batch it cannot use. */
  protected abstract objective(batch: TrainBatch): Objective;

  step(batch: TrainBatch, optimizer: Sgd, lr: number, _rng: Random, extra?: ExtraLoss): number {
    return gradientStep({ online: this.online, optimizer, lr, bnGroups: this.options.bnGroups, view1: batch.view1, extra }, this.objective(batch));
  }

  evaluateLoss(batch: TrainBatch, _rng: Random): number {
    return evaluateObjective(this.options.bnGroups, this.objective(batch));
  }
}
