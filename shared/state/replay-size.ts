/**
 * How large a train task's replay buffer (./replay-buffer.ts, float32 bytes before any wire
 * encoding) may be, from the task alone: what both ends bound a replay blob's decoding by,
 * instead of by the limit of any blob. The coordinator tightens it with what the arm's plan
 * says (server/states/upload-bound.ts); a client, handed a buffer, has only the task.
 */
import { datasetGeometry, MAX_CLASSES } from '../dataset-geometry.js';
import type { TrainTask } from '../tasks.js';

/**
 * Bytes of an encoded replay buffer beside its images and labels: the framing of its array
 * section (../array-section.ts), that is the 8-byte prefix; the msgpack header, which holds
 * the format name, version, count, image size, classes and `seen`, a reference for each of
 * the two arrays (16 bytes, 18 with msgpack's extension header, whatever the array's
 * length), and the class names (up to `MAX_CLASSES` of them, a folder dataset's directory
 * names: 255 bytes each at most, 257 with msgpack's string header); and the zeros that align
 * the data section (7 at most; byte arrays need none between them). That is about 66 KB
 * with every class name at its longest: test/shared/state/replay-size.test.ts encodes it.
 */
export const REPLAY_FRAMING_BYTES = MAX_CLASSES * 260 + 4096;

/** Bytes one sample (its image and its label) takes in a replay buffer of `task`'s dataset, or null when the dataset leaves its image size open. */
export function replaySampleBytes(task: Pick<TrainTask, 'data'>): number | null {
  const { height, width, channels } = datasetGeometry(task.data.dataset);
  if (height === undefined || width === undefined || channels === undefined) return null;
  return height * width * channels + 1;
}

/**
 * The largest replay buffer `task` may hold, before it as after it, from the task alone: 0
 * when it keeps none, a reservoir's capacity; null when that depends on the stages before
 * it (a `random` buffer grows stage by stage) or the dataset leaves its image size open.
 */
export function replayCapacityBytes(task: Pick<TrainTask, 'data' | 'replay'>): number | null {
  const { replay } = task;
  if (replay.mode !== 'replay') return 0;
  const sampleBytes = replaySampleBytes(task);
  if (sampleBytes === null || replay.selection !== 'reservoir' || replay.size === undefined) return null;
  return replay.size * sampleBytes + REPLAY_FRAMING_BYTES;
}
