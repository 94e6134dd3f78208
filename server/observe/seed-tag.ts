/**
 * How the task ids of a run over several seeds say their seed: `seed-<s>:<task id>`
 * (run/seed-pool.ts tags them, so that two seeds running the same stage at once never share
 * an id). The coordinator's observers read the seed back from the ids it made itself, to
 * tell each seed's arms apart in the run's events; a one-seed run's ids carry none.
 */

const TAG = /^seed-(-?\d+):/;

/** `taskId` of the run of `seed`. */
export function seedTaskId(seed: number, taskId: string): string {
  return `seed-${seed}:${taskId}`;
}

/** `{ seed }` when `taskId` is one of a seed's run (tagged by `seedTaskId`), else nothing: to spread into an event. */
export function taskSeed(taskId: string): { seed?: number } {
  const match = TAG.exec(taskId);
  return match ? { seed: Number(match[1]) } : {};
}
