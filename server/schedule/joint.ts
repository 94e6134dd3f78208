/** Joint training: one stage on the union of all chunks, the upper bound relay is compared with. */
import type { ArmSpecOf } from '../../shared/arm-schema.js';
import type { TrainTask } from '../../shared/tasks.js';
import type { ArmMode } from './arm-mode.js';
import { buildTrainTask, relaySteps, type PlanInput } from './build.js';
import { oneTaskStage } from './one-task-stage.js';

/**
 * Joint runs exactly as many optimizer steps as a relay arm over the same chunks (the sum
 * of the relay stages' steps), so the comparison is at equal compute. It keeps no replay.
 */
export function planJoint(input: PlanInput): TrainTask[] {
  const totalSteps = relaySteps(input).reduce((a, b) => a + b, 0);
  return [
    buildTrainTask(input, {
      stage: 0,
      chunks: input.chunkSizes.map((_, k) => k),
      steps: totalSteps,
      startStep: 0,
      totalSteps,
      replay: { mode: 'none' },
      evaluate: true,
    }),
  ];
}

/**
 * How joint's compute was matched to relay's, for results.json. It opens the note whatever
 * the arms: it also says how relay's steps are counted, which every other arm is matched to.
 */
export function jointMatchingNote(input: Omit<PlanInput, 'arm'>): string {
  const { epochsPerChunk, batchSize } = input.scenario.training;
  const steps = relaySteps({ ...input, arm: input.scenario.arms[0] });
  const total = steps.reduce((a, b) => a + b, 0);
  return (
    `joint runs the same number of optimizer steps as each relay arm: the sum over chunks of ` +
    `ceil(epochsPerChunk x chunkSize / batchSize) = ${steps.join(' + ')} = ${total} steps ` +
    `(epochsPerChunk ${epochsPerChunk}, batchSize ${batchSize}, chunk sizes ${input.chunkSizes.join(', ')}), ` +
    `drawn from the union of all chunks; the learning-rate schedule spans those ${total} steps in both modes`
  );
}

export const jointMode: ArmMode<ArmSpecOf<'joint'>> = {
  sequential: false,
  reference: true,
  plan: (input) => planJoint(input).map((record) => ({ record })),
  ...oneTaskStage,
  busyClients: () => 1,
  // Joint sees all chunks at once: no continual-learning strategy applies.
  strategyName: () => 'none',
  labels: () => ({ heading: 'joint', comparison: 'joint' }),
  // Said once for the whole run, first (see computeMatchingNote).
  matchingNote: () => null,
};
