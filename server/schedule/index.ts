/**
 * The round loop, written once. A planner turns an arm into its list of stage tasks; the
 * loop runs them in order on workers from a pool, checkpoints each stage's output and
 * hands it to the next stage. Planners are plain functions in a `Record<mode, Planner>`.
 */
import type { ArmSpec } from '../../shared/scenario.js';
import type { TrainMetrics, TrainTask } from '../../shared/tasks.js';
import type { Logger } from '../../shared/log.js';
import type { CheckpointPaths, CheckpointWriter } from '../checkpoints.js';
import { withWorker, type WorkerPool } from '../worker.js';
import type { PlanInput } from './build.js';
import { planJoint } from './joint.js';
import { planRelay } from './relay.js';

export type { PlanInput } from './build.js';
export { stepsForChunk } from './build.js';
export { computeMatchingNote } from './joint.js';

/** Turns an arm into the tasks of its stages. */
export type Planner = (input: PlanInput) => TrainTask[];

/** The planner of each arm mode. */
export const PLANNERS: Record<ArmSpec['mode'], Planner> = {
  relay: planRelay,
  joint: planJoint,
};

/** What one stage produced. */
export interface StageRecord {
  stage: number;
  task: TrainTask;
  clientId: string;
  metrics: TrainMetrics;
  handoffSeconds: number;
  checkpoint: CheckpointPaths;
}

export interface ArmRun {
  arm: ArmSpec;
  stages: StageRecord[];
}

export interface RunArmOptions {
  pool: WorkerPool;
  checkpoints: CheckpointWriter;
  logger?: Logger;
  /** Called after each stage is checkpointed. */
  onStage?: (arm: ArmSpec, record: StageRecord) => void;
}

/** Plans `arm` with its mode's planner and runs it. */
export function runArm(input: PlanInput, options: RunArmOptions): Promise<ArmRun> {
  return runStages(input.arm, PLANNERS[input.arm.mode](input), options);
}

/**
 * Runs stage tasks in order. Stage k starts from stage k-1's state and replay (nothing for
 * the first); each stage's output is checkpointed before it is handed on.
 */
export async function runStages(arm: ArmSpec, tasks: readonly TrainTask[], options: RunArmOptions): Promise<ArmRun> {
  const stages: StageRecord[] = [];
  let state: Uint8Array | null = null;
  let replay: Uint8Array | null = null;
  for (const task of tasks) {
    options.logger?.info({ arm: arm.name, stage: task.stage, chunks: task.data.chunks, steps: task.steps }, 'stage starting');
    const outcome = await withWorker(options.pool, (worker) => worker.runTask(task, state, replay));
    if (!outcome.state) throw new Error(`arm ${arm.name} stage ${task.stage}: client ${outcome.clientId} returned no model state`);
    const checkpoint = await options.checkpoints.write(arm.name, task.stage, outcome.state, outcome.replay);
    const record: StageRecord = {
      stage: task.stage,
      task,
      clientId: outcome.clientId,
      metrics: outcome.metrics,
      handoffSeconds: outcome.handoffSeconds,
      checkpoint,
    };
    stages.push(record);
    options.logger?.info(
      { arm: arm.name, stage: task.stage, client: outcome.clientId, lossFirst: outcome.metrics.lossFirst, lossLast: outcome.metrics.lossLast, eval: outcome.metrics.eval },
      'stage done',
    );
    options.onStage?.(arm, record);
    state = outcome.state;
    replay = outcome.replay;
  }
  return { arm, stages };
}
