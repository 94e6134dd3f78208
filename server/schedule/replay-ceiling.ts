/**
 * The most samples an arm's `random` replay buffer may legitimately hold after each of its
 * stages, from the plan: every stage that extends the buffer adds what the client keeps of
 * the stage's chunks (shared/replay-keep.ts, `size` or `fraction` of them, rounded as the
 * client rounds); a later visit of a cyclic relay (`extend: false`) adds nothing. The
 * coordinator planned the split, so it knows every chunk's size, which the task does not
 * carry: a client returning a bigger buffer is refused before its upload's first byte
 * (server/states/upload-bound.ts).
 */
import { replayKeepCount } from '../../shared/replay-keep.js';
import type { TrainTask } from '../../shared/tasks.js';

/**
 * For each stage record of a plan, in order, the most samples its replay buffer may hold
 * once the stage is over; undefined where the stage keeps no buffer or a reservoir (whose
 * capacity bounds it). `chunkSizes`: training samples of each chunk of the stream.
 */
export function replayCeilings(records: readonly Pick<TrainTask, 'replay' | 'data'>[], chunkSizes: readonly number[]): Array<number | undefined> {
  let held = 0;
  return records.map(({ replay, data }) => {
    if (replay.mode !== 'replay' || replay.selection === 'reservoir') return undefined;
    // The client keeps a share of the stage's chunks together (joined into one set), not of each.
    if (replay.extend !== false) held += replayKeepCount(replay, data.chunks.reduce((n, chunk) => n + sizeOf(chunkSizes, chunk), 0));
    return held;
  });
}

function sizeOf(chunkSizes: readonly number[], chunk: number): number {
  const size = chunkSizes[chunk];
  if (size === undefined) throw new Error(`a stage names chunk ${chunk}, but the stream has ${chunkSizes.length} chunks`);
  return size;
}
