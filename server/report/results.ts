/**
 * results.json: what a run measured, in the documented shape
 * `{ backend, scenario, randomInit, arms: [{ name, mode, strategy, stages, final }] }`
 * plus `computeMatching`, `stream` and `clients`. Accuracies are fractions in [0, 1].
 * An arm that failed has `final: null`, the stages it finished and its `error`.
 */
import { join } from 'node:path';
import type { AnalysisResults } from '../../shared/analysis.js';
import type { StreamSummary } from '../../shared/protocol.js';
import type { ArmModeName, Scenario } from '../../shared/scenario.js';
import type { ChunkEval, EvalMetrics } from '../../shared/tasks.js';
import { writeFileRetrying } from '../run/file-writes.js';
import { forgettingMetrics, type ForgettingMetrics } from './forgetting.js';
import { summarizeOverhead, type OverheadSummary } from '../run/overhead.js';
import type { ClientSnapshot } from '../clients/registry.js';
import { modeOf, type ArmRun } from '../schedule/index.js';
import type { DroppedResults } from '../schedule/deadline.js';
import { armDropped, armWireBytes, droppedNote, type ArmWireBytes } from './arm-totals.js';
import type { MemorySummary } from '../run/memory-sampler.js';

export interface EvalResult {
  knnTop1: number;
  linearTop1: number;
  /** Accuracy on each chunk's share of the test split (its classes or its domain). */
  perChunk?: ChunkEval[];
  seconds: number;
}

/** Per-chunk accuracy after every evaluated stage: rows are stages, columns chunks. */
export interface AccuracyMatrix {
  stages: number[];
  /**
   * Sequential (relay) arms: the chunk each row's stage trained (a cyclic relay visits a
   * chunk once per cycle, so rows are visits). Absent in runs recorded before it.
   */
  chunks?: number[];
  knnTop1: number[][];
  linearTop1: number[][];
}

export interface StageResult {
  stage: number;
  /** The chunk trained on; joint training lists all of them. */
  chunk: number | number[];
  client: string;
  steps: number;
  trainSeconds: number;
  /** Seconds spent moving state and replay to the client and back. */
  handoffSeconds: number;
  /**
   * Wire bytes moved in the stage's hand-offs: `sent` to its client(s), every chunk and
   * re-send included; `received` from them. Absent in runs recorded before it was measured.
   */
  handoffBytes?: { sent: number; received: number; replay?: { sent: number; received: number } };
  /**
   * With a round deadline (fedavg's `deadline`): the results that came too late and were
   * left out of the average (`taskIds`, their planned `steps`), and whether none came in
   * time, so the round kept the previous model (`keptPrevious`).
   */
  dropped?: DroppedResults;
  /** Coordinator overhead before this stage's task(s) went out (see `coordinatorOverhead`). */
  overheadSeconds?: number[];
  /** Of each `overheadSeconds` entry, the seconds spent waiting for a free client. */
  clientWaitSeconds?: number[];
  imagesPerSecond: number;
  dataWaitSeconds: number;
  loss: { first: number; last: number };
  /** Null for stages that were not evaluated (`evaluation.everyStage: false`). */
  eval: EvalResult | null;
}

export interface FinalResult extends EvalResult {
  steps: number;
  trainSeconds: number;
  handoffSeconds: number;
}

export interface ArmResult {
  name: string;
  mode: ArmModeName;
  /** fedavg: averaging rounds (each round is one stage). */
  rounds?: number;
  /** Cyclic relay: passes over the chunks (each visit is one stage), when the arm sets it. */
  cycles?: number;
  /** Cyclic relay: the chunk order of each cycle, when the arm sets it. */
  order?: string;
  /** Seconds from a result of this arm arriving to its next task being sent. */
  coordinatorOverhead?: OverheadSummary;
  /** Of `coordinatorOverhead`, the seconds spent waiting for a free client (the rest is the coordinator's work). */
  clientWait?: OverheadSummary;
  /** The relay strategy (`fine-tune`, `replay`, ...); `none` for joint and fedavg. */
  strategy: string;
  stages: StageResult[];
  /** Null when the arm failed before its last stage. */
  final: FinalResult | null;
  /** Why the arm stopped before its last stage; `stages` holds those it finished. */
  error?: string;
  /** Present when stages were scored per chunk. */
  accuracyMatrix?: AccuracyMatrix;
  /** Relay arms scored per chunk after every stage: metrics of the accuracy matrix. */
  forgetting?: { linear: ForgettingMetrics; knn: ForgettingMetrics };
  /** Wire bytes of the arm's hand-offs, the sum of its stages' `handoffBytes` (see armWireBytes). */
  wireBytes?: ArmWireBytes;
  /** With a round deadline: results dropped over all rounds, their planned steps, and rounds that kept the previous model. */
  dropped?: { results: number; steps: number; roundsKeptPrevious: number };
}

export interface Results {
  /** Backend(s) the clients reported, comma-separated when they differ. */
  backend: string;
  scenario: Scenario;
  randomInit: EvalResult;
  arms: ArmResult[];
  /** How joint training's optimizer steps were matched to relay's. */
  computeMatching: string;
  /** The coordinator's overhead per stage over all arms: result arrived to next task sent. */
  coordinatorOverhead: OverheadSummary | null;
  /** Of `coordinatorOverhead`, the seconds spent waiting for a free client; absent in runs recorded before it was measured. */
  clientWait?: OverheadSummary;
  stream: StreamSummary | { chunks: Array<{ id: number; size: number }> };
  /** Every client process that took part; `address` is where it connected from, as the coordinator saw it. */
  clients: Array<Pick<ClientSnapshot, 'id' | 'hostname' | 'pid' | 'backend' | 'backendReason' | 'device'> & { address?: string }>;
  startedAt: string;
  finishedAt: string;
  /** Analyses of the saved models (`streamssl analyze`, or `analysis.atEnd`). */
  analysis?: AnalysisResults;
  /** Resident memory of the coordinator and this host's clients (Linux; see server/run/memory-sampler.ts). */
  memory?: MemorySummary;
}

export interface ResultsInput {
  scenario: Scenario;
  randomInit: EvalMetrics;
  arms: readonly ArmRun[];
  computeMatching: string;
  stream: Results['stream'];
  clients: readonly Results['clients'][number][];
  startedAt: Date;
  finishedAt: Date;
  memory?: MemorySummary | null;
}

/** Assembles results.json from the arms' stage records. */
export function buildResults(input: ResultsInput): Results {
  const backends = [...new Set(input.clients.map((c) => c.backend ?? 'unknown'))].sort();
  const overhead = input.arms.flatMap((arm) => arm.stages.flatMap((s) => s.overheadSeconds ?? []));
  const clientWait = summarizeOverhead(input.arms.flatMap((arm) => arm.stages.flatMap((s) => s.clientWaitSeconds ?? [])));
  const arms = input.arms.map(armResult).map((arm) => withForgetting(arm, input.randomInit));
  return {
    backend: backends.join(', ') || 'unknown',
    scenario: input.scenario,
    randomInit: evalResult(input.randomInit),
    arms,
    computeMatching: input.computeMatching + droppedNote(arms),
    coordinatorOverhead: summarizeOverhead(overhead),
    ...(clientWait ? { clientWait } : {}),
    stream: input.stream,
    clients: input.clients.map(({ id, hostname, pid, backend, backendReason, device, address }) => ({ id, hostname, pid, ...(backend ? { backend } : {}), ...(backendReason ? { backendReason } : {}), ...(device ? { device } : {}), ...(address ? { address } : {}) })),
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    ...(input.memory ? { memory: input.memory } : {}),
  };
}

/** Writes `DIR/results.json` (atomically, retried when the failure may pass) and returns its path. */
export async function writeResults(outDir: string, results: Results): Promise<string> {
  const path = join(outDir, 'results.json');
  await writeFileRetrying(path, new TextEncoder().encode(`${JSON.stringify(results, null, 2)}\n`));
  return path;
}

function armResult(run: ArmRun): ArmResult {
  const mode = modeOf(run.arm);
  const stages = run.stages.map((s): StageResult => {
    const chunks = s.task.data.chunks;
    return {
      stage: s.stage,
      chunk: mode.sequential ? chunks[0] : chunks,
      client: s.clientId,
      steps: s.metrics.steps,
      trainSeconds: s.metrics.trainSeconds,
      handoffSeconds: s.handoffSeconds,
      ...(s.handoffBytes ? { handoffBytes: s.handoffBytes } : {}),
      ...(s.dropped ? { dropped: s.dropped } : {}),
      ...(s.overheadSeconds ? { overheadSeconds: s.overheadSeconds } : {}),
      ...(s.clientWaitSeconds ? { clientWaitSeconds: s.clientWaitSeconds } : {}),
      imagesPerSecond: s.metrics.imagesPerSecond,
      dataWaitSeconds: s.metrics.dataWaitSeconds,
      loss: { first: s.metrics.lossFirst, last: s.metrics.lossLast },
      eval: s.metrics.eval ? evalResult(s.metrics.eval) : null,
    };
  });
  const last = stages[stages.length - 1];
  if (run.error === undefined && !last?.eval) throw new Error(`arm ${run.arm.name}: the last stage was not evaluated`);
  const sum = (key: 'steps' | 'trainSeconds' | 'handoffSeconds') => stages.reduce((total, s) => total + s[key], 0);
  const matrix = accuracyMatrix(stages, mode.sequential);
  const overhead = summarizeOverhead(stages.flatMap((s) => s.overheadSeconds ?? []));
  const clientWait = summarizeOverhead(stages.flatMap((s) => s.clientWaitSeconds ?? []));
  const wireBytes = armWireBytes(stages);
  const dropped = armDropped(stages);
  return {
    name: run.arm.name,
    mode: run.arm.mode,
    ...(run.arm.rounds !== undefined ? { rounds: run.arm.rounds } : {}),
    ...(run.arm.cycles !== undefined ? { cycles: run.arm.cycles } : {}),
    ...(run.arm.order !== undefined ? { order: run.arm.order } : {}),
    ...(overhead ? { coordinatorOverhead: overhead } : {}),
    ...(clientWait ? { clientWait } : {}),
    strategy: mode.strategyName(run.arm),
    stages,
    final: run.error === undefined ? { ...last.eval!, steps: sum('steps'), trainSeconds: sum('trainSeconds'), handoffSeconds: sum('handoffSeconds') } : null,
    ...(run.error !== undefined ? { error: run.error } : {}),
    ...(matrix ? { accuracyMatrix: matrix } : {}),
    ...(wireBytes ? { wireBytes } : {}),
    ...(dropped ? { dropped } : {}),
  };
}

/**
 * Adds forgetting metrics to a sequential (relay) arm whose every stage was scored per
 * chunk and that visited every chunk.
 */
function withForgetting(arm: ArmResult, randomInit: EvalMetrics): ArmResult {
  const m = arm.accuracyMatrix;
  if (!modeOf(arm).sequential || arm.final === null || !m?.chunks || m.stages.length !== arm.stages.length) return arm;
  const columns = m.linearTop1[0]?.length ?? 0;
  if (m.linearTop1.some((row) => row.length !== columns) || new Set(m.chunks).size !== columns || m.chunks.some((c) => c >= columns)) return arm;
  const floor = randomInit.perChunk ? [...randomInit.perChunk].sort((a, b) => a.chunk - b.chunk) : undefined;
  return {
    ...arm,
    forgetting: {
      linear: forgettingMetrics(m.linearTop1, floor?.map((c) => c.linearTop1), m.chunks),
      knn: forgettingMetrics(m.knnTop1, floor?.map((c) => c.knnTop1), m.chunks),
    },
  };
}

function accuracyMatrix(stages: readonly StageResult[], sequential: boolean): AccuracyMatrix | undefined {
  const scored = stages.filter((s) => s.eval?.perChunk);
  if (scored.length === 0) return undefined;
  const row = (s: StageResult, key: 'knnTop1' | 'linearTop1') => [...s.eval!.perChunk!].sort((a, b) => a.chunk - b.chunk).map((c) => c[key]);
  return {
    stages: scored.map((s) => s.stage),
    ...(sequential ? { chunks: scored.map((s) => (Array.isArray(s.chunk) ? s.chunk[0] : s.chunk)) } : {}),
    knnTop1: scored.map((s) => row(s, 'knnTop1')),
    linearTop1: scored.map((s) => row(s, 'linearTop1')),
  };
}

function evalResult(m: EvalMetrics): EvalResult {
  return { knnTop1: m.knnTop1, linearTop1: m.linearTop1, ...(m.perChunk ? { perChunk: m.perChunk } : {}), seconds: m.seconds };
}
