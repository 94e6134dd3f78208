/**
 * The fixed batches a loss landscape is measured on. Every point of a curve or a
 * perturbation must see the same images under the same augmentation, or the
 * differences measured would be the data's and not the weights'; so the batches are
 * built once, deterministically, by the training pipeline itself (in-thread), and
 * held as tensors until the measurement is done.
 */
import type { ImageSet } from '../../shared/dataset-types.js';
import { deriveSeed } from '../../shared/random.js';
import type { AugmentOptions } from '../data/augment.js';
import type { Normalization } from '../data/normalization.js';
import { BatchPipeline } from '../data/pipeline.js';
import { disposeTrainBatch, trainBatchTensors } from '../engine/batches.js';
import { BatchSampler } from '../engine/sampler.js';
import type { TrainBatch } from '../ssl/method.js';

export interface LossBatchOptions {
  /** The augmentation of the two views (a stage's, to measure the loss it trained on). */
  augment: AugmentOptions;
  batchSize: number;
  batches: number;
  /** Seeds the choice of images and their augmentation: same seed, same tensors. */
  seed: number;
}

/**
 * `o.batches` two-view batches of `set` (with labels), images drawn in a seeded random
 * order without repeats until the set is used up. The caller frees them with
 * `disposeLossBatches`.
 */
export async function fixedLossBatches(set: ImageSet, norm: Normalization, o: LossBatchOptions): Promise<TrainBatch[]> {
  if (!Number.isInteger(o.batches) || o.batches < 1) throw new Error(`loss batches: batches must be an integer >= 1, got ${o.batches}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`loss batches: batchSize must be an integer >= 1, got ${o.batchSize}`);
  const sampler = new BatchSampler(set.count, 0, o.batchSize, 0, deriveSeed(o.seed, 'loss-batches'));
  const pipeline = new BatchPipeline({ pool: set, sampler, augment: o.augment, norm, stageSeed: o.seed, batches: o.batches }, { workers: 0 });
  const out: TrainBatch[] = [];
  try {
    for (let b = 0; b < o.batches; b++) out.push(trainBatchTensors(await pipeline.next()));
    return out;
  } catch (err) {
    disposeLossBatches(out);
    throw err;
  } finally {
    await pipeline.close();
  }
}

export function disposeLossBatches(batches: readonly TrainBatch[]): void {
  for (const b of batches) disposeTrainBatch(b);
}
