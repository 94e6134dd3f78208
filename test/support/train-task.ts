/** Test helper: the train task of stage `stage` of a one-arm relay over `scenario`, trained on chunk `stage`. */
import type { Scenario } from '../../shared/scenario.js';
import type { TrainTask } from '../../shared/tasks.js';

/** What varies between tests: how long the stage runs and how it trains. */
export type StageFields = Pick<TrainTask, 'steps' | 'optimizer' | 'replay'> & Partial<TrainTask>;

export function stageTask(scenario: Scenario, stage: number, fields: StageFields): TrainTask {
  return {
    kind: 'train',
    taskId: `relay:stage-${stage}`,
    arm: 'relay',
    stage,
    seed: scenario.seed,
    data: { dataset: scenario.dataset, stream: scenario.stream, seed: scenario.seed, chunks: [stage] },
    model: scenario.model,
    ssl: scenario.ssl,
    batchSize: scenario.training.batchSize,
    ...fields,
  };
}
