/**
 * Relay (sequential) training: one stage per chunk, in stream order; each stage starts
 * from the previous stage's state and replay buffer.
 */
import type { TrainTask } from '../../shared/tasks.js';
import { buildTrainTask, relaySteps, replayOptions, type PlanInput } from './build.js';

/**
 * Stage k trains on chunk k for `ceil(epochsPerChunk * chunkSize_k / batchSize)` steps; the
 * learning-rate schedule spans the whole arm (`startStep` accumulates to `totalSteps`).
 * Evaluation is attached to every stage with `evaluation.everyStage`, else to the last.
 */
export function planRelay(input: PlanInput): TrainTask[] {
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
      evaluate: input.scenario.evaluation.everyStage || k === last,
    });
    startStep += stageSteps;
    return task;
  });
}
