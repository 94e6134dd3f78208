/**
 * How many samples of a finished chunk a `random` replay buffer keeps. Both sides need it:
 * the client selects them (client/continual/replay.ts), the coordinator bounds the buffer a
 * client may return by them (server/schedule/replay-ceiling.ts).
 */
import type { ReplayOptions } from './tasks.js';

/** How many samples of a finished chunk of `count` samples the buffer keeps: `size`, or `fraction` x `count` rounded, never more than `count`. */
export function replayKeepCount(options: ReplayOptions, count: number): number {
  if (options.mode !== 'replay') return 0;
  const wanted = options.size ?? Math.round((options.fraction ?? 0) * count);
  return Math.max(0, Math.min(count, wanted));
}
