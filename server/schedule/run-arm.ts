/**
 * The stage loop, written once for every arm mode. The arm's mode plans its stages; for
 * each, the mode configures its tasks from the previous stage's output, the loop runs them
 * in parallel on workers from a pool (a task whose client is lost runs again from the same
 * input, see retry.ts), the mode aggregates what came back (or hands the one result on),
 * the loop runs the mode's evaluation task if it has one, checkpoints the output before it
 * is handed on, journals the stage (`onStage`) and measures its own overhead. A resumed
 * arm starts after its last finished stage, from that stage's checkpoint.
 */
import type { ArmSpec } from '../../shared/scenario.js';
import type { Logger } from '../../shared/log.js';
import type { WireTask } from '../../shared/protocol.js';
import type { TrainMetrics, TrainTask } from '../../shared/tasks.js';
import type { CheckpointPaths, CheckpointWriter } from '../run/checkpoints.js';
import { OverheadClock } from '../run/overhead.js';
import { NO_RETRIES, runWithRetries, type RetryEvent, type RetryPolicy } from '../run/retry.js';
import type { ClientPool, HandoffBytes } from '../clients/pool.js';
import type { ArmMode, HandOff, PlannedStage, StageTask, StageTaskResult } from './arm-mode.js';
import { keptOutput, runUntilDeadline, type DroppedResults } from './deadline.js';
import type { PlanInput } from './build.js';
import { replayCeilings } from './replay-ceiling.js';
import { ARM_MODES, modeOf, type ArmModes } from './modes.js';
import type { EventSink } from '../observe/bus.js';
import { retryEvent, stageDoneEvent } from '../observe/stage-events.js';

/** What one stage produced. */
export interface StageRecord {
  stage: number;
  /** The stage's record as planned (see `PlannedStage.record`). */
  task: TrainTask;
  clientId: string;
  metrics: TrainMetrics;
  handoffSeconds: number;
  /** Wire bytes of the stage's hand-offs (to and from its client(s)), when they crossed a wire. */
  handoffBytes?: HandoffBytes;
  /** With a round deadline (fedavg's `deadline`): the results it dropped, none included. */
  dropped?: DroppedResults;
  checkpoint: CheckpointPaths;
  /**
   * Coordinator overhead before this stage's task(s) went out: seconds from the arm's
   * previous result to each task sent after it (none for an arm's first stage).
   */
  overheadSeconds?: number[];
  /** Of each `overheadSeconds` entry, the seconds spent waiting for a free client. */
  clientWaitSeconds?: number[];
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
  pool: ClientPool;
  checkpoints: CheckpointWriter;
  logger?: Logger;
  /** What happens when a stage's client is lost (default: no retry). */
  retry?: RetryPolicy;
  /** Continue after these finished stages instead of starting from a fresh model. */
  resume?: ArmResumePoint;
  /** Awaited after each stage is checkpointed, before the next stage starts. */
  onStage?: (arm: ArmSpec, record: StageRecord) => void | Promise<void>;
  /** Awaited before a task of a stage whose client was lost runs again. */
  onRetry?: (arm: ArmSpec, stage: number, event: RetryEvent) => void | Promise<void>;
  /** The run's events: retries and finished stages are published to it. */
  events?: EventSink;
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

/**
 * Runs `input.arm` with its mode from `modes`: every stage, or those after `options.resume`.
 * Throws `ArmFailedError` when a stage fails for good.
 */
export async function runArm(input: PlanInput, options: RunArmOptions, modes: ArmModes = ARM_MODES): Promise<ArmRun> {
  const { arm } = input;
  const mode = modeOf(arm, modes);
  const plan = mode.plan(input);
  const stages: StageRecord[] = [...(options.resume?.stages ?? [])];
  if (stages.length > plan.length) throw new Error(`arm ${arm.name}: resumed after ${stages.length} stages, its plan has ${plan.length}`);
  let previous: HandOff | null = options.resume ? { state: options.resume.state, replay: options.resume.replay } : null;
  const clock = new OverheadClock();
  // What each stage's replay buffer may hold: the client's upload is bounded by it.
  const ceilings = replayCeilings(plan.map((s) => s.record), input.chunkSizes);
  for (let index = stages.length; index < plan.length; index++) {
    const stage = plan[index];
    try {
      const done = await runStage(mode, stage, previous, input, options, clock, ceilings[index]);
      stages.push(done.record);
      previous = done.handOff;
    } catch (err) {
      throw new ArmFailedError(arm.name, stage.record.stage, [...stages], (err as Error).message ?? String(err), { cause: err });
    }
  }
  return { arm, stages };
}

async function runStage(mode: ArmMode, stage: PlannedStage, previous: HandOff | null, input: PlanInput, options: RunArmOptions, clock: OverheadClock, replaySamples: number | undefined) {
  const { arm } = input;
  const { record } = stage;
  const tasks = mode.configure(stage, previous, input);
  options.logger?.info({ arm: arm.name, stage: record.stage, chunks: record.data.chunks, steps: record.steps, tasks: tasks.length }, 'stage starting');
  const send = async <T extends WireTask>(task: T, state: Uint8Array | null, replay: Uint8Array | null, abandoned?: AbortSignal) => {
    const outcome = await runWithRetries(options.pool, task, state, replay, options.retry ?? NO_RETRIES, {
      logger: options.logger,
      context: { arm: arm.name, stage: record.stage },
      onRetry: (event) => {
        options.events?.publish(retryEvent(arm.name, record.stage, event));
        return options.onRetry?.(arm, record.stage, event);
      },
      onDispatch: (_client, waited) => clock.taskSent(waited),
      ...(abandoned ? { abandoned } : {}),
      ...(task.kind === 'train' && replaySamples !== undefined ? { bounds: { replaySamples } } : {}),
    });
    if (!abandoned?.aborted) clock.resultArrived();
    return outcome;
  };
  const run = async ({ task, state, replay }: StageTask, abandoned?: AbortSignal): Promise<StageTaskResult> => ({ task, outcome: await send(task, state, replay, abandoned) });
  const deadline = mode.deadlineSeconds?.(arm) ?? null;
  let results: StageTaskResult[];
  let dropped: DroppedResults | undefined;
  if (deadline === null) results = await Promise.all(tasks.map((t) => run(t)));
  else {
    const inTime = await runUntilDeadline(
      tasks.map((t) => (abandoned: AbortSignal) => run(t, abandoned)),
      deadline,
      (i, end) => options.logger?.info({ arm: arm.name, stage: record.stage, taskId: tasks[i].task.taskId, failed: end.error !== undefined }, 'result after the round deadline ignored'),
    );
    results = inTime.results.filter((r): r is StageTaskResult => r !== undefined);
    const late = inTime.late.map((i) => tasks[i].task);
    dropped = { taskIds: late.map((t) => t.taskId), steps: late.reduce((sum, t) => sum + t.steps, 0), keptPrevious: results.length === 0 };
    if (late.length > 0) options.logger?.warn({ arm: arm.name, stage: record.stage, deadline, dropped: dropped.taskIds }, 'round deadline passed: late results dropped');
  }
  const output = results.length > 0 ? mode.aggregate(stage, results, input) : keptOutput(previous, deadline ?? 0);
  const evalTask = mode.evaluation(stage, input);
  const evaluation = evalTask ? (await send(evalTask, output.state, null)).metrics : undefined;
  const checkpoint = await options.checkpoints.write(arm.name, record.stage, output.state, output.replay);
  const measured = clock.take();
  const metrics = evaluation ? { ...output.metrics, eval: evaluation } : output.metrics;
  const done: StageRecord = {
    stage: record.stage,
    task: record,
    clientId: output.clientId,
    metrics,
    handoffSeconds: output.handoffSeconds,
    ...(output.handoffBytes ? { handoffBytes: output.handoffBytes } : {}),
    ...(dropped ? { dropped } : {}),
    checkpoint,
    ...(measured.overhead.length > 0 ? { overheadSeconds: measured.overhead, clientWaitSeconds: measured.clientWait } : {}),
  };
  options.logger?.info({ arm: arm.name, stage: record.stage, client: output.clientId, lossFirst: metrics.lossFirst, lossLast: metrics.lossLast, eval: metrics.eval }, 'stage done');
  await options.onStage?.(arm, done);
  options.events?.publish(stageDoneEvent(arm.name, arm.mode, done));
  return { record: done, handOff: { state: output.state, replay: output.replay } };
}
