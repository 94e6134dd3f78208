/**
 * The stage loop, written once for every arm mode. The arm's mode plans its stages; for
 * each, the mode configures its tasks from the previous stage's output, the loop runs them
 * in parallel on workers from a pool (a task whose client is lost runs again from the same
 * input, see retry.ts), the mode aggregates what came back (or hands the one result on),
 * the loop runs the mode's evaluation task if it has one, checkpoints the output before it
 * is handed on, journals the stage (`onStage`) and measures its own overhead. A resumed
 * arm starts after its last finished stage, from that stage's checkpoint. With a client to
 * spare, a stage's evaluation runs beside the next stage instead of in its way
 * (`evaluateAside`).
 */
import type { ArmSpec } from '../../shared/scenario.js';
import type { Logger } from '../../shared/log.js';
import type { WireTask } from '../../shared/protocol.js';
import type { EvalMetrics, TrainMetrics, TrainTask } from '../../shared/tasks.js';
import type { CheckpointPaths, CheckpointWriter } from '../run/checkpoints.js';
import { OverheadClock } from '../run/overhead.js';
import { NO_RETRIES, runWithRetries, type RetryEvent, type RetryPolicy } from '../run/retry.js';
import type { ClientPool, HandoffBytes } from '../clients/pool.js';
import type { ArmMode, HandOff, PlannedStage, StageTask, StageTaskResult } from './arm-mode.js';
import { keptOutput, runUntilDeadline, type DroppedResults } from './deadline.js';
import type { PlanInput } from './build.js';
import { replayCeilings } from './replay-ceiling.js';
import { evaluationAsideOf, withoutEvaluation } from './eval-task.js';
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
  /**
   * Score each stage but the last on a client of its own beside the next stage's training
   * (an evaluation task with the stage's state), where the stage's own task would score
   * it after its training, in the way of the next one. For runs with a client to spare
   * (run/client-setup.ts `evaluationAside`). A stage's evaluation that only its own task
   * can give (states sent as float16) stays in its task.
   */
  evaluateAside?: boolean;
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
 *
 * With `evaluateAside`, a stage's evaluation runs beside the next stage's training: at
 * most one is in flight, and a stage is recorded (journaled, published) as soon as its
 * evaluation is in, always in stage order: the next stage records only after it. When the
 * next stage fails, the stage before it is still recorded if its evaluation succeeds; when
 * an evaluation fails, the arm stops at its stage, as it would have with the evaluation in
 * the stage's own task.
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
  const failed = (stage: number, err: unknown) => new ArmFailedError(arm.name, stage, [...stages], (err as Error).message ?? String(err), { cause: err });
  // The stage trained last and not recorded yet: its evaluation may run beside this one's training.
  let behind: PendingRecord | null = null;
  const settleBehind = async () => {
    if (!behind) return;
    const pending = behind;
    behind = null;
    try {
      stages.push(await pending.record());
    } catch (err) {
      throw failed(pending.stage, err);
    }
  };
  for (let index = stages.length; index < plan.length; index++) {
    const stage = plan[index];
    const aside = options.evaluateAside === true && index < plan.length - 1;
    let trained: TrainedStage;
    try {
      trained = await trainStage(mode, stage, previous, input, options, clock, ceilings[index], { aside, onSent: behind?.start });
    } catch (err) {
      await settleBehind();
      throw failed(stage.record.stage, err);
    }
    await settleBehind();
    previous = trained.handOff;
    behind = trained.pending;
    // Scored in its own task (or not at all): recorded before the next stage starts.
    if (!trained.pending.aside) await settleBehind();
  }
  await settleBehind();
  return { arm, stages };
}

/** A stage trained and checkpointed, to be recorded once it is scored. */
interface PendingRecord {
  stage: number;
  /** Its evaluation runs aside, as a task of its own. */
  aside: boolean;
  /** Sends the evaluation aside (once; later calls, and calls without one, do nothing): when the next stage's task is out, or before the stage is recorded. */
  start: () => void;
  /** The stage's record, once scored and recorded (journaled, published); an evaluation aside is recorded as soon as it is in, in the background. */
  record: () => Promise<StageRecord>;
}

interface TrainedStage {
  handOff: HandOff;
  pending: PendingRecord;
}

interface StageTiming {
  /** Send the stage's evaluation as a task of its own, beside the next stage. */
  aside: boolean;
  /** Called once the stage's first task is handed to a client. */
  onSent?: (() => void) | undefined;
}

async function trainStage(
  mode: ArmMode,
  stage: PlannedStage,
  previous: HandOff | null,
  input: PlanInput,
  options: RunArmOptions,
  clock: OverheadClock,
  replaySamples: number | undefined,
  timing: StageTiming,
): Promise<TrainedStage> {
  const { arm } = input;
  const { record } = stage;
  const configured = mode.configure(stage, previous, input);
  // A stage of one task that carries its evaluation sends it without, and the evaluation apart.
  const carried = timing.aside && configured.length === 1 ? evaluationAsideOf(configured[0].task) : null;
  const tasks = carried ? [{ ...configured[0], task: withoutEvaluation(configured[0].task) }] : configured;
  options.logger?.info({ arm: arm.name, stage: record.stage, chunks: record.data.chunks, steps: record.steps, tasks: tasks.length }, 'stage starting');
  let sent = false;
  const send = async <T extends WireTask>(task: T, state: Uint8Array | null, replay: Uint8Array | null, how: { abandoned?: AbortSignal; aside?: boolean } = {}) => {
    const { abandoned, aside = false } = how;
    const outcome = await runWithRetries(options.pool, task, state, replay, options.retry ?? NO_RETRIES, {
      logger: options.logger,
      context: { arm: arm.name, stage: record.stage },
      onRetry: (event) => {
        options.events?.publish(retryEvent(arm.name, record.stage, event));
        return options.onRetry?.(arm, record.stage, event);
      },
      // An evaluation aside is not the arm's hand-over: the clock measures those alone.
      onDispatch: (_client, waited) => {
        if (aside) return;
        clock.taskSent(waited);
        if (!sent) {
          sent = true;
          timing.onSent?.();
        }
      },
      ...(aside ? { background: true } : {}),
      ...(abandoned ? { abandoned } : {}),
      ...(task.kind === 'train' && replaySamples !== undefined ? { bounds: { replaySamples } } : {}),
    });
    if (!abandoned?.aborted && !aside) clock.resultArrived();
    return outcome;
  };
  const run = async ({ task, state, replay }: StageTask, abandoned?: AbortSignal): Promise<StageTaskResult> => ({ task, outcome: await send(task, state, replay, abandoned ? { abandoned } : {}) });
  const deadline = mode.deadlineSeconds?.(arm) ?? null;
  let results: StageTaskResult[];
  let dropped: DroppedResults | undefined;
  try {
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
  } finally {
    // The stage before waits for no task of this one any more.
    if (!sent) timing.onSent?.();
  }
  const output = results.length > 0 ? mode.aggregate(stage, results, input) : keptOutput(previous, deadline ?? 0);
  const evalTask = carried ?? mode.evaluation(stage, input);
  const asideNow = evalTask !== null && timing.aside;
  const evaluation = evalTask && !asideNow ? (await send(evalTask, output.state, null)).metrics : undefined;
  const checkpoint = await options.checkpoints.write(arm.name, record.stage, output.state, output.replay);
  const measured = clock.take();
  const recordWith = async (metricsEval: EvalMetrics | undefined): Promise<StageRecord> => {
    const metrics = metricsEval ? { ...output.metrics, eval: metricsEval } : output.metrics;
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
    return done;
  };
  const handOff = { state: output.state, replay: output.replay };
  if (!asideNow) return { handOff, pending: { stage: record.stage, aside: false, start: () => {}, record: () => recordWith(evaluation) } };
  // Recorded as soon as it is scored, while the next stage trains (which records only after it).
  let recorded: Promise<StageRecord> | null = null;
  const start = () => {
    if (recorded) return;
    recorded = send(evalTask, output.state, null, { aside: true }).then((o) => recordWith(o.metrics));
    // Rethrown by `record`: nothing may reject unobserved while the next stage trains.
    recorded.catch(() => {});
  };
  const pending: PendingRecord = {
    stage: record.stage,
    aside: true,
    start,
    record: () => {
      start();
      return recorded!;
    },
  };
  return { handOff, pending };
}
