/** The evaluation task of a scenario: the random-init floor, or an averaged fedavg model. */
import { splitSeedOf, type Scenario } from '../../shared/scenario.js';
import type { EvalTask } from '../../shared/tasks.js';
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
