/**
 * An arm mode: how an arm's training is split into stages and what passes between them,
 * as Flower splits a strategy from its round loop. The loop (run-arm.ts) is written once:
 * for each planned stage it asks the mode to `configure` the stage's tasks from the
 * previous stage's output, runs them in parallel (with retries), hands what came back to
 * `aggregate`, runs the mode's evaluation task if it has one, checkpoints, journals and
 * goes on. A mode is one object in one file, listed once in the registry (modes.ts).
 */
import type { Scenario } from '../../shared/scenario.js';
import type { ArmSpec } from '../../shared/arm-schema.js';
import type { EvalTask, TrainMetrics, TrainTask } from '../../shared/tasks.js';
import type { HandoffBytes, TaskOutcome } from '../clients/pool.js';
import type { PlanInput } from './build.js';

/** One stage as planned. A mode may keep more in it (fedavg: its clients' tasks). */
export interface PlannedStage {
  /**
   * What the journal records of the stage, and what resume compares with the plan: the
   * task itself when the stage is one task; for a stage of several tasks (a fedavg round)
   * the whole stage in a train task's shape (all its chunks, the sum of its steps), which
   * is not sent.
   */
  record: TrainTask;
}

/** What a finished stage hands the next one: the model state and the replay buffer (if kept). */
export interface HandOff {
  state: Uint8Array;
  replay: Uint8Array | null;
}

/** One task of a stage with the input it is sent with. */
export interface StageTask {
  task: TrainTask;
  state: Uint8Array | null;
  replay: Uint8Array | null;
}

/** A task of the stage that came back, beside the task it answers. */
export interface StageTaskResult {
  task: TrainTask;
  outcome: TaskOutcome<TrainMetrics>;
}

/** A stage's output, as the mode makes it of its tasks' results. */
export interface StageOutput extends HandOff {
  /** The stage's metrics; `eval` when its train task evaluated it, else the loop adds the mode's evaluation. */
  metrics: TrainMetrics;
  /** The client(s) that ran it, comma-separated. */
  clientId: string;
  handoffSeconds: number;
  /** Wire bytes of the stage's hand-offs, when they crossed a wire. */
  handoffBytes?: HandoffBytes;
}

/** How a mode's arm reads in the report. */
export interface ArmLabels {
  /** Beside the arm's name in its section heading. */
  heading: string;
  /** In the mode column of the final comparison. */
  comparison: string;
}

/**
 * One arm mode. `A` is the arm spec of the mode, `S` what its plan keeps per stage.
 * Members are methods (not function-valued properties) so that a mode of a narrower arm
 * fits the registry's `ArmMode`.
 */
export interface ArmMode<A extends ArmSpec = ArmSpec, S extends PlannedStage = PlannedStage> {
  /**
   * Its stages are a sequence over single chunks, so their per-chunk evaluations form an
   * accuracy matrix (forgetting, accuracy figures, CKA and paths between stages).
   */
  readonly sequential: boolean;
  /** It trains on the pooled data of all chunks: the reference other arms are compared with. */
  readonly reference: boolean;

  /** The arm's stages, in order. Pure: resume plans again and compares the records with the journal. */
  plan(input: PlanInput<A>): S[];
  /**
   * The tasks of `stage`, from the previous stage's output (null before the first stage).
   * The loop runs them in parallel, each on a free client, and retries a task whose
   * client is lost. A mode may send a subset of the chunks (partial participation).
   */
  configure(stage: S, previous: HandOff | null, input: PlanInput<A>): StageTask[];
  /**
   * The stage's output from its tasks' results, in the order `configure` gave the tasks.
   * With a round deadline (`deadlineSeconds`) the loop hands over only those that arrived
   * in time, never none.
   */
  aggregate(stage: S, results: readonly StageTaskResult[], input: PlanInput<A>): StageOutput;
  /**
   * A task that scores the stage's output (sent with its state), or null when the stage is
   * not evaluated or its train task evaluated it already.
   */
  evaluation(stage: S, input: PlanInput<A>): EvalTask | null;

  /** Clients the arm keeps busy at once (a client's threads are the cores shared by them). */
  busyClients(arm: A, scenario: Scenario): number;
  /** The continual-learning strategy results.json names (`fine-tune+mas`), `none` without one. */
  strategyName(arm: A): string;
  /** How the arm reads in the report. */
  labels(arm: A): ArmLabels;
  /** A sentence of results.json's `computeMatching` on how this arm's steps were matched, or null. */
  matchingNote(input: PlanInput<A>): string | null;
  /**
   * Seconds a stage waits for its tasks' results, or null to wait for all (the default).
   * The loop hands `aggregate` the results that arrived in time, drops the rest (counted in
   * the stage record) and, when none arrived, keeps the previous stage's output.
   */
  deadlineSeconds?(arm: A): number | null;
}
