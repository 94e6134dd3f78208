/**
 * Relay (sequential) training: one stage per chunk, in stream order; each stage starts
 * from the previous stage's state and replay buffer.
 */
import type { ArmSpecOf } from '../../shared/arm-schema.js';
import type { TrainTask } from '../../shared/tasks.js';
import type { ArmMode } from './arm-mode.js';
import { buildTrainTask, relaySteps, replayOptions, type PlanInput } from './build.js';
import { oneTaskStage } from './one-task-stage.js';

type RelayArm = ArmSpecOf<'relay'>;

/**
 * Stage k trains on chunk k for `ceil(epochsPerChunk * chunkSize_k / batchSize)` steps; the
 * learning-rate schedule spans the whole arm (`startStep` accumulates to `totalSteps`).
 * Evaluation is attached to every stage with `evaluation.everyStage`, else to the last.
 */
export function planRelay(input: PlanInput<RelayArm>): TrainTask[] {
  const steps = relaySteps(input);
  const totalSteps = steps.reduce((a, b) => a + b, 0);
  const last = steps.length - 1;
  let startStep = 0;
  return steps.map((stageSteps, k) => {
    const task = buildTrainTask(input, {
      stage: k,
      chunks: [k],
      steps: stageSteps,
      startStep,
      totalSteps,
      replay: replayOptions(input.arm),
      regularizer: input.arm.regularizer,
      evaluate: input.scenario.evaluation.everyStage || k === last,
    });
    startStep += stageSteps;
    return task;
  });
}

/** `fine-tune`, `replay+mas`, ...: the strategy and the regularizer, if any. */
function strategyName(arm: RelayArm): string {
  return [arm.strategy.name, arm.regularizer?.name].filter(Boolean).join('+');
}

export const relayMode: ArmMode<RelayArm> = {
  sequential: true,
  reference: false,
  plan: (input) => planRelay(input).map((record) => ({ record })),
  ...oneTaskStage,
  // The model goes from client to client: one is busy at a time.
  busyClients: () => 1,
  strategyName,
  labels: (arm) => ({ heading: `relay, ${strategyName(arm)}`, comparison: `relay (${strategyName(arm)})` }),
  // Relay is what the others are matched to (see joint's note).
  matchingNote: () => null,
};
