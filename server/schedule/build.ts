/** Helpers the planners share: step counts and the `TrainTask` a stage becomes. */
import { splitSeedOf, type ArmSpec, type RegularizerSpec, type Scenario } from '../../shared/scenario.js';
import type { ReplayOptions, TrainTask } from '../../shared/tasks.js';
import { taskTransfer } from '../../shared/wire/transfer-spec.js';

/** What a planner needs to turn an arm into tasks. */
export interface PlanInput<A extends ArmSpec = ArmSpec> {
  scenario: Scenario;
  arm: A;
  /**
   * Training samples in each chunk of the stream, in chunk order. The coordinator does not
   * hold data: a client computes these with the stream splitter (see `PlanTask`).
   */
  chunkSizes: readonly number[];
}

/** Optimizer steps for one chunk: `ceil(epochsPerChunk * chunkSize / batchSize)`. */
export function stepsForChunk(chunkSize: number, epochsPerChunk: number, batchSize: number): number {
  // The epsilon keeps 0.3 * 1000 / 100 = 3.0000000000000004 at 3 steps.
  return Math.max(1, Math.ceil((epochsPerChunk * chunkSize) / batchSize - 1e-9));
}

/** Steps of every relay stage, in chunk order. */
export function relaySteps(input: PlanInput): number[] {
  checkChunkSizes(input);
  const { epochsPerChunk, batchSize } = input.scenario.training;
  return input.chunkSizes.map((size) => stepsForChunk(size, epochsPerChunk, batchSize));
}

/** Throws a clear error when the chunk sizes do not fit the scenario's stream. */
export function checkChunkSizes({ scenario, chunkSizes }: PlanInput): void {
  if (chunkSizes.length !== scenario.stream.chunks) {
    throw new Error(`expected ${scenario.stream.chunks} chunk sizes (stream.chunks), got ${chunkSizes.length}`);
  }
  chunkSizes.forEach((size, k) => {
    if (!Number.isInteger(size) || size < 1) throw new Error(`chunk ${k} has ${size} samples; every chunk needs at least one`);
  });
}

/** The replay options an arm's strategy implies. */
export function replayOptions(arm: ArmSpec): ReplayOptions {
  const s = arm.strategy;
  if (s.name !== 'replay') return { mode: 'none' };
  return {
    mode: 'replay',
    ratio: s.ratio,
    selection: s.selection,
    ...(s.size !== undefined ? { size: s.size } : {}),
    ...(s.fraction !== undefined ? { fraction: s.fraction } : {}),
  };
}

export interface StageSpec {
  stage: number;
  chunks: number[];
  steps: number;
  startStep: number;
  totalSteps: number;
  replay: ReplayOptions;
  /** Only for modes that take one (relay). */
  regularizer?: RegularizerSpec;
  evaluate: boolean;
}

/** The task of one stage of `arm`. */
export function buildTrainTask({ scenario, arm }: PlanInput, spec: StageSpec): TrainTask {
  const { training } = scenario;
  return {
    kind: 'train',
    taskId: `${arm.name}:stage-${spec.stage}`,
    arm: arm.name,
    stage: spec.stage,
    seed: scenario.seed,
    data: { dataset: scenario.dataset, stream: scenario.stream, seed: splitSeedOf(scenario), chunks: spec.chunks },
    model: scenario.model,
    ssl: scenario.ssl,
    batchSize: training.batchSize,
    steps: spec.steps,
    optimizer: {
      lr: training.optimizer.lr,
      momentum: training.optimizer.momentum,
      weightDecay: training.optimizer.weightDecay,
      schedule: training.schedule,
      totalSteps: spec.totalSteps,
      startStep: spec.startStep,
      keepOptimizerState: training.keepOptimizerState,
    },
    replay: spec.replay,
    ...(spec.regularizer ? { regularizer: spec.regularizer } : {}),
    ...(spec.evaluate ? { evaluation: scenario.evaluation } : {}),
    ...taskTransfer(scenario.transfer),
  };
}
