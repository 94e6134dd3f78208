/**
 * The round loop, written once. A planner turns an arm into its list of stage tasks; the
 * loop runs them in order on workers from a pool, checkpoints each stage's output and
 * hands it to the next stage. A stage whose client is lost runs again from the same input
 * (see retry.ts); a resumed arm starts after its last finished stage. Planners are plain
 * functions in a `Record<mode, Planner>`.
 */
import type { ArmSpec } from '../../shared/scenario.js';
import type { TrainMetrics, TrainTask } from '../../shared/tasks.js';
import type { Logger } from '../../shared/log.js';
import type { CheckpointPaths, CheckpointWriter } from '../checkpoints.js';
import { NO_RETRIES, runWithRetries, type RetryEvent, type RetryPolicy } from '../retry.js';
import { OverheadClock } from '../overhead.js';
import type { WorkerPool } from '../worker.js';
import type { PlanInput } from './build.js';
import { planFedavg } from './fedavg.js';
import { planJoint } from './joint.js';
import { planRelay } from './relay.js';
import { runFedavg } from './run-fedavg.js';

export type { PlanInput } from './build.js';
export { stepsForChunk } from './build.js';
export { computeMatchingNote } from './matching.js';

/** Turns an arm into the tasks of its stages. */
export type Planner = (input: PlanInput) => TrainTask[];

/** The planner of each arm mode. */
export const PLANNERS: Record<ArmSpec['mode'], Planner> = {
  relay: planRelay,
  joint: planJoint,
  fedavg: planFedavg,
};

/** What one stage produced. */
export interface StageRecord {
  stage: number;
  task: TrainTask;
  clientId: string;
  metrics: TrainMetrics;
  handoffSeconds: number;
  checkpoint: CheckpointPaths;
  /**
   * Coordinator overhead before this stage's task(s) went out: seconds from the arm's
   * previous result to each task sent after it (none for an arm's first stage).
   */
  overheadSeconds?: number[];
}

export interface ArmRun {
  arm: ArmSpec;
  stages: StageRecord[];
  /** Why the arm stopped before its last stage; `stages` then holds those that finished. */
  error?: string;
}

/** Where a resumed arm continues: its finished stages and the last one's output. */
export interface ArmResumePoint {
  stages: StageRecord[];
  state: Uint8Array;
  replay: Uint8Array | null;
}

export interface RunArmOptions {
  pool: WorkerPool;
  checkpoints: CheckpointWriter;
  logger?: Logger;
  /** What happens when a stage's client is lost (default: no retry). */
  retry?: RetryPolicy;
  /** Continue after these finished stages instead of starting from a fresh model. */
  resume?: ArmResumePoint;
  /** Awaited after each stage is checkpointed, before the next stage starts. */
  onStage?: (arm: ArmSpec, record: StageRecord) => void | Promise<void>;
  /** Awaited before a stage whose client was lost runs again. */
  onRetry?: (arm: ArmSpec, stage: number, event: RetryEvent) => void | Promise<void>;
}

/** An arm that stopped at `stage`; `finished` holds the stages done before it. */
export class ArmFailedError extends Error {
  constructor(
    readonly arm: string,
    readonly stage: number,
    readonly finished: StageRecord[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`arm ${arm}, stage ${stage}: ${message}`, options);
    this.name = 'ArmFailedError';
  }
}

/** Plans `arm` with its mode's planner and runs it. */
export function runArm(input: PlanInput, options: RunArmOptions): Promise<ArmRun> {
  return runArmTasks(input, PLANNERS[input.arm.mode](input), options);
}

/** Runs an arm's planned tasks: in order (relay, joint) or as averaging rounds (fedavg). */
export function runArmTasks(input: PlanInput, tasks: readonly TrainTask[], options: RunArmOptions): Promise<ArmRun> {
  return input.arm.mode === 'fedavg' ? runFedavg(input, options) : runStages(input.arm, tasks, options);
}

/**
 * Runs stage tasks in order. Stage k starts from stage k-1's state and replay (nothing for
 * the first); each stage's output is checkpointed before it is handed on. Throws
 * `ArmFailedError` when a stage fails for good.
 */
export async function runStages(arm: ArmSpec, tasks: readonly TrainTask[], options: RunArmOptions): Promise<ArmRun> {
  const stages: StageRecord[] = [...(options.resume?.stages ?? [])];
  let state: Uint8Array | null = options.resume?.state ?? null;
  let replay: Uint8Array | null = options.resume?.replay ?? null;
  const clock = new OverheadClock();
  for (const task of tasks.slice(stages.length)) {
    try {
      const output = await runStage(arm, task, state, replay, options, clock);
      stages.push(output.record);
      state = output.state;
      replay = output.replay;
    } catch (err) {
      throw new ArmFailedError(arm.name, task.stage, [...stages], (err as Error).message ?? String(err), { cause: err });
    }
  }
  return { arm, stages };
}

interface StageOutput {
  record: StageRecord;
  state: Uint8Array;
  replay: Uint8Array | null;
}

async function runStage(arm: ArmSpec, task: TrainTask, state: Uint8Array | null, replay: Uint8Array | null, options: RunArmOptions, clock: OverheadClock): Promise<StageOutput> {
  options.logger?.info({ arm: arm.name, stage: task.stage, chunks: task.data.chunks, steps: task.steps }, 'stage starting');
  const outcome = await runWithRetries(options.pool, task, state, replay, options.retry ?? NO_RETRIES, {
    logger: options.logger,
    context: { arm: arm.name, stage: task.stage },
    onRetry: (event) => options.onRetry?.(arm, task.stage, event),
    onDispatch: () => clock.taskSent(),
  });
  clock.resultArrived();
  const overheadSeconds = clock.take();
  if (!outcome.state) throw new Error(`client ${outcome.clientId} returned no model state`);
  const checkpoint = await options.checkpoints.write(arm.name, task.stage, outcome.state, outcome.replay);
  const record: StageRecord = {
    stage: task.stage,
    task,
    clientId: outcome.clientId,
    metrics: outcome.metrics,
    handoffSeconds: outcome.handoffSeconds,
    checkpoint,
    ...(overheadSeconds.length > 0 ? { overheadSeconds } : {}),
  };
  options.logger?.info(
    { arm: arm.name, stage: task.stage, client: outcome.clientId, lossFirst: outcome.metrics.lossFirst, lossLast: outcome.metrics.lossLast, eval: outcome.metrics.eval },
    'stage done',
  );
  await options.onStage?.(arm, record);
  return { record, state: outcome.state, replay: outcome.replay };
}
