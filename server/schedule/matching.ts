/** The compute-matching note of results.json: how every arm's optimizer steps were matched. */
import type { PlanInput } from './build.js';
import { jointMatchingNote } from './joint.js';
import { modeOf } from './modes.js';

/** Joint against relay, then the sentence of each arm whose mode has one (fedavg). */
export function computeMatchingNote(input: Omit<PlanInput, 'arm'>): string {
  const notes = input.scenario.arms.map((arm) => modeOf(arm).matchingNote({ ...input, arm }));
  return [jointMatchingNote(input), ...notes.filter((note) => note !== null)].join('; ');
}
