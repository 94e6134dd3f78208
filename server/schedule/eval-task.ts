/** Evaluation tasks: a scenario's (the random-init floor, an averaged fedavg model), and a train task's evaluation sent on its own. */
import { splitSeedOf, type Scenario } from '../../shared/scenario.js';
import type { EvalTask, TrainTask } from '../../shared/tasks.js';
import { taskTransfer } from '../../shared/wire/transfer-spec.js';

/** Scores the model the task is sent with (a fresh one without a state), per chunk of the stream. */
export function evalTaskFor(scenario: Scenario, taskId: string): EvalTask {
  return {
    kind: 'eval',
    taskId,
    seed: scenario.seed,
    dataset: scenario.dataset,
    model: scenario.model,
    ssl: scenario.ssl,
    evaluation: scenario.evaluation,
    stream: scenario.stream,
    ...(splitSeedOf(scenario) !== scenario.seed ? { splitSeed: splitSeedOf(scenario) } : {}),
    ...taskTransfer(scenario.transfer),
  };
}

/**
 * The evaluation a train task carries, as a task of its own that scores the state the train
 * task returns: the same data, seeds, model and per-chunk stream, so the same accuracies
 * (run-arm.ts sends it beside the next stage). Null when the task carries none, or when its
 * states travel as float16: the task's own evaluation scores the model before that
 * rounding, so another client would score a different one.
 */
export function evaluationAsideOf(task: TrainTask): EvalTask | null {
  if (!task.evaluation || task.transfer?.encoding === 'float16') return null;
  return {
    kind: 'eval',
    taskId: `${task.taskId}:eval`,
    seed: task.seed,
    dataset: task.data.dataset,
    model: task.model,
    ssl: task.ssl,
    evaluation: task.evaluation,
    stream: task.data.stream,
    ...(task.data.seed !== task.seed ? { splitSeed: task.data.seed } : {}),
    ...(task.transfer ? { transfer: task.transfer } : {}),
    arm: task.arm,
    stage: task.stage,
  };
}

/** `task` without its evaluation: what is sent when `evaluationAsideOf` scores it instead. */
export function withoutEvaluation(task: TrainTask): TrainTask {
  const { evaluation: _evaluation, ...rest } = task;
  return rest;
}
