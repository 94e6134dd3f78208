/** Helpers the planners share: step counts and the `TrainTask` a stage becomes. */
import { splitSeedOf, type ArmSpec, type RegularizerSpec, type Scenario } from '../../shared/scenario.js';
import { deriveSeed } from '../../shared/random.js';
import { replayPerBatch } from '../../shared/replay-mix.js';
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
  /** For a chunk trained in several visits: where this visit continues its sample order. */
  chunkOrder?: { seed: number; skip: number };
}

/**
 * The sample order of `chunk` in arm `armName`, continued `skip` samples in: what a task
 * that trains the chunk in one of several visits (cyclic relay, fedavg) draws from. One
 * seed per chunk and arm, so visits that start where the earlier ones stopped together draw
 * the samples one pass would, in the order one pass would.
 */
export function chunkOrderAt(scenarioSeed: number, armName: string, chunk: number, skip: number): { seed: number; skip: number } {
  return { seed: deriveSeed(scenarioSeed, 'chunk-order', armName, chunk), skip };
}

/**
 * Tracks how far the visits of each chunk have drawn into the chunk's sample order, for a
 * cyclic relay (whose fresh samples per step depend on its replay and on the stage): each
 * visit's `chunkOrder` starts where the chunk's earlier visits stopped.
 */
export class ChunkOrders {
  private readonly drawn = new Map<number, number>();

  constructor(
    private readonly scenarioSeed: number,
    private readonly armName: string,
  ) {}

  /**
   * The order of a visit of `chunk` that runs `steps` steps with `freshPerStep` of the
   * chunk's samples in each batch (the rest are replayed).
   */
  visit(chunk: number, steps: number, freshPerStep: number): { seed: number; skip: number } {
    const skip = this.drawn.get(chunk) ?? 0;
    this.drawn.set(chunk, skip + steps * freshPerStep);
    return chunkOrderAt(this.scenarioSeed, this.armName, chunk, skip);
  }
}

/**
 * New samples in each batch of a stage: the batch less its replayed part. The buffer is
 * empty only before the arm's first stage has ended (`bufferEmpty`).
 */
export function freshPerStep(replay: ReplayOptions, batchSize: number, bufferEmpty: boolean): number {
  return batchSize - replayPerBatch(replay, batchSize, bufferEmpty ? 0 : 1);
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
    ...(spec.chunkOrder ? { chunkOrder: spec.chunkOrder } : {}),
    ...taskTransfer(scenario.transfer),
  };
}
