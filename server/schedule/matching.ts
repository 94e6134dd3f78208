/** The compute-matching note of results.json: how every arm's optimizer steps were matched. */
import type { PlanInput } from './build.js';
import { fedavgMatchingNote } from './fedavg.js';
import { jointMatchingNote } from './joint.js';

/** Joint against relay, then one sentence per fedavg arm. */
export function computeMatchingNote(input: Omit<PlanInput, 'arm'>): string {
  const fedavg = input.scenario.arms.filter((arm) => arm.mode === 'fedavg').map((arm) => fedavgMatchingNote({ ...input, arm }));
  return [jointMatchingNote(input), ...fedavg].join('; ');
}
