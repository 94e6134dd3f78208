/**
 * Data replay: a share of each finished chunk's images travels on with the model and
 * is mixed into later chunks' batches.
 */
import type { ImageSet } from '../../shared/dataset-types.js';
import { Random, sampledIndices } from '../../shared/random.js';
import type { ReplayBuffer } from '../../shared/state/replay-buffer.js';
import { replayKeepCount } from '../../shared/replay-keep.js';
import type { ReplayOptions } from '../../shared/tasks.js';
import { subset } from '../data/index.js';
import { concatSets } from '../engine/batches.js';

/**
 * The buffer after a chunk: what came in plus a selection of the chunk just trained, or
 * what came in unchanged when the chunk was kept on an earlier visit (`extend: false`).
 */
export function extendReplay(previous: ReplayBuffer | null, chunk: ImageSet, options: ReplayOptions, seed: number): ReplayBuffer | null {
  if (options.mode !== 'replay' || options.extend === false) return previous;
  if (options.selection === 'reservoir') return reservoir(previous, chunk, options.size ?? 0, seed);
  const keep = replayKeepCount(options, chunk.count);
  const seen = (previous?.seen ?? 0) + chunk.count;
  if (keep === 0) return previous ? { ...previous, seen } : null;
  const selected = subset(chunk, sampledIndices(chunk.count, keep, seed));
  return { ...(previous ? concatSets(previous, selected) : selected), seen };
}

/**
 * Reservoir sampling (Vitter's algorithm R) over the stream: the n-th sample enters a
 * full buffer of `capacity` with probability capacity / n, replacing a random slot, so
 * every sample seen so far is equally likely to be in the buffer.
 */
export function reservoirSlots(seenBefore: number, incoming: number, capacity: number, held: number, seed: number): Map<number, number> {
  const rng = new Random(seed);
  const slots = new Map<number, number>(); // buffer slot -> index of the incoming sample
  let size = held;
  for (let i = 0; i < incoming; i++) {
    const n = seenBefore + i + 1;
    if (size < capacity) slots.set(size++, i);
    else {
      const j = rng.int(0, n);
      if (j < capacity) slots.set(j, i);
    }
  }
  return slots;
}

function reservoir(previous: ReplayBuffer | null, chunk: ImageSet, capacity: number, seed: number): ReplayBuffer {
  const held = previous?.count ?? 0;
  const slots = reservoirSlots(previous?.seen ?? 0, chunk.count, capacity, held, seed);
  let size = held;
  for (const slot of slots.keys()) size = Math.max(size, slot + 1);
  const bytes = chunk.height * chunk.width * chunk.channels;
  const images = new Uint8Array(size * bytes);
  const labels = new Uint8Array(size);
  if (previous) {
    images.set(previous.images.subarray(0, held * bytes));
    labels.set(previous.labels.subarray(0, held));
  }
  for (const [slot, i] of slots) {
    images.set(chunk.images.subarray(i * bytes, (i + 1) * bytes), slot * bytes);
    labels[slot] = chunk.labels[i];
  }
  return { ...chunk, images, labels, count: size, seen: (previous?.seen ?? 0) + chunk.count };
}
