/**
 * Test helper: every SSL method (and the supervised baseline) on the tiny encoder, with
 * batches of random 8x8 images, for suites that check a property of all of them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeTrainBatch } from '../../client/engine/batches.js';
import { Sgd } from '../../client/optim/sgd.js';
import { BarlowTwins } from '../../client/ssl/barlow-twins.js';
import { Byol } from '../../client/ssl/byol.js';
import type { SslMethod, TrainBatch } from '../../client/ssl/method.js';
import { MocoV2 } from '../../client/ssl/moco-v2.js';
import { SimClr } from '../../client/ssl/simclr.js';
import { SimSiam } from '../../client/ssl/simsiam.js';
import { Supervised } from '../../client/ssl/supervised.js';
import { Random } from '../../shared/random.js';
import { tinyEncoder, views } from '../client/ssl/method-contract.js';

export const TINY_CLASSES = 3;

export interface TinyMethod {
  name: string;
  /** `momentum` is the EMA coefficient of a momentum encoder (ignored by methods without one). */
  create(seed: number, momentum?: number): SslMethod;
  /** Whether `step` moves a momentum encoder before computing its loss (MoCo). */
  emaBeforeLoss?: boolean;
  /** Whether the loss shuffles a view before ghost batch norm, so it depends on the rng. */
  shuffles?: boolean;
}

export const TINY_METHODS: TinyMethod[] = [
  {
    name: 'MoCo v2',
    create: (seed, momentum = 0.9) => new MocoV2({ encoder: tinyEncoder, temperature: 0.2, queueSize: 24, momentum, bnGroups: 2 }, seed),
    emaBeforeLoss: true,
    shuffles: true,
  },
  { name: 'SimCLR', create: (seed) => new SimClr({ encoder: tinyEncoder, temperature: 0.2, bnGroups: 2 }, seed), shuffles: true },
  { name: 'BYOL', create: (seed, momentum = 0.9) => new Byol({ encoder: tinyEncoder, predictorHidden: 16, momentum, bnGroups: 2 }, seed) },
  { name: 'SimSiam', create: (seed) => new SimSiam({ encoder: tinyEncoder, predictorHidden: 4, bnGroups: 2 }, seed) },
  { name: 'Barlow Twins', create: (seed) => new BarlowTwins({ encoder: tinyEncoder, lambda: 0.0051, bnGroups: 2 }, seed) },
  {
    name: 'supervised',
    create: (seed) => new Supervised({ encoder: { ...tinyEncoder, numClasses: TINY_CLASSES }, numClasses: TINY_CLASSES, bnGroups: 2 }, seed),
  },
];

export function tinyMethod(name: string): TinyMethod {
  const found = TINY_METHODS.find((m) => m.name === name);
  if (!found) throw new Error(`no tiny method "${name}"`);
  return found;
}

/** Two views of 8 random images with class labels (seeds must not be 0). */
export function labeledBatch(seed: number): TrainBatch {
  const [view1, view2] = views(seed);
  const labels = tf.tensor1d(Array.from({ length: view1.shape[0] }, (_, i) => (i + seed) % TINY_CLASSES), 'int32');
  return { view1, view2, labels };
}

/** `count` SGD steps (momentum 0.9, lr 0.05) on labeled batches numbered from `from`: a little training, the same every time. */
export function trainSteps(method: SslMethod, count: number, from: number): void {
  const optimizer = new Sgd({ momentum: 0.9, weightDecay: 0 });
  for (let s = from; s < from + count; s++) {
    const batch = labeledBatch(60 + 2 * s);
    method.step(batch, optimizer, 0.05, new Random(s + 1));
    disposeTrainBatch(batch);
  }
  optimizer.dispose();
}
