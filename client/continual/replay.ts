/**
 * Data replay: a share of each finished chunk's images travels on with the model and
 * is mixed into later chunks' batches.
 */
import type { ImageSet } from '../../shared/dataset-types.js';
import { Random } from '../../shared/random.js';
import type { ReplayOptions } from '../../shared/tasks.js';
import { subset } from '../data/index.js';
import { concatSets } from '../engine/batches.js';

/** How many samples of a finished chunk of `count` samples the buffer keeps. */
export function replayKeepCount(options: ReplayOptions, count: number): number {
  if (options.mode !== 'replay') return 0;
  const wanted = options.size ?? Math.round((options.fraction ?? 0) * count);
  return Math.max(0, Math.min(count, wanted));
}

/** Uniformly random, seeded choice of `keep` distinct sample indices out of `count`. */
export function selectReplayIndices(count: number, keep: number, seed: number): Uint32Array {
  const all = new Random(seed).shuffle(Uint32Array.from({ length: count }, (_, i) => i));
  return all.slice(0, keep).sort();
}

/** The buffer after a chunk: what came in plus a selection of the chunk just trained. */
export function extendReplay(previous: ImageSet | null, chunk: ImageSet, options: ReplayOptions, seed: number): ImageSet | null {
  const keep = replayKeepCount(options, chunk.count);
  if (keep === 0) return previous;
  const selected = subset(chunk, selectReplayIndices(chunk.count, keep, seed));
  return previous ? concatSets(previous, selected) : selected;
}

/** Samples of the replay buffer in each batch of `batchSize`. */
export function replayPerBatch(options: ReplayOptions, batchSize: number, bufferCount: number): number {
  if (options.mode !== 'replay' || bufferCount === 0) return 0;
  return Math.min(batchSize - 1, Math.max(1, Math.round(options.ratio * batchSize)));
}
