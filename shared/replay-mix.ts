/**
 * How a training batch splits between a chunk's new samples and the replay buffer. Both
 * sides need it: the client composes batches, the coordinator counts how far a chunk's
 * visits have drawn into its sample order (see `TrainTask.chunkOrder`).
 */
import type { ReplayOptions } from './tasks.js';

/** Samples of the replay buffer in each batch of `batchSize`. */
export function replayPerBatch(options: ReplayOptions, batchSize: number, bufferCount: number): number {
  if (options.mode !== 'replay' || bufferCount === 0) return 0;
  return Math.min(batchSize - 1, Math.max(1, Math.round(options.ratio * batchSize)));
}
